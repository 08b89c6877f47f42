"""Importing the UCI credit-card data set into CU-PX (customers, debts, monthly statements).

Two ways in, same result (running either twice leaves the same data):
- `import_uci_via_imports(runtime, raw, workdir, now)`: customers and debts go through the imports
  service (contract C9, `cupx.services.imports.import_file`) from CSV files written in `workdir` in the
  docs/imports.md layout, then the statements (replaced per debt and month). Used by `cupx uci import`.
- `import_uci(uow, raw, now)`: one transaction, customers and debts through the `UciAccounts` bulk
  upsert by external id (no per-row validation; faster, used by the benchmark and tests).
Training then goes through the normal pipeline (`cupx model train --as-of 2005-10-01`), reading these
tables.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from cupx.analytics.uci import uci_customers, uci_debts, uci_statements
from cupx.services.models import StatementRepository
from cupx.services.uow import UnitOfWork

__all__ = ["UciAccounts", "UciImportReport", "import_uci", "import_uci_via_imports"]


class UciAccounts(abc.ABC):
    @abc.abstractmethod
    def debt_ids(self, external_ids: list[str]) -> pl.DataFrame:
        """external_id -> debt_id for the debts that exist."""

    @abc.abstractmethod
    def upsert(self, customers: pl.DataFrame, debts: pl.DataFrame, now: datetime) -> pl.DataFrame:
        """Insert customers and debts whose external_id is new; return external_id -> debt_id for all."""


@dataclass(frozen=True)
class UciImportReport:
    accounts: int
    statements: int
    default_rate: float


def import_uci(uow: UnitOfWork, raw: pl.DataFrame, now: datetime) -> UciImportReport:
    """Write the UCI accounts and statements; commit once at the end."""
    ids = uow[UciAccounts].upsert(uci_customers(raw), uci_debts(raw), now)
    written = uow[StatementRepository].add(uci_statements(raw, ids))
    uow.commit()
    return UciImportReport(accounts=ids.height, statements=written,
                           default_rate=float(raw["default_next_month"].mean() or 0.0))


def import_uci_via_imports(runtime: Any, raw: pl.DataFrame, workdir: Path, now: datetime) -> UciImportReport:
    """Customers and debts through the imports service (validated, encrypted, idempotent), then statements.

    Rows the imports service rejects are reported in its `*.rejects.csv`; their statements are skipped."""
    from cupx.services.imports import import_file

    workdir.mkdir(parents=True, exist_ok=True)
    for kind, frame in (("customers", uci_customers(raw)), ("debts", uci_debts(raw))):
        path = workdir / f"uci_{kind}.csv"
        frame.write_csv(path)
        import_file(runtime, kind, path, now=now)
    with runtime.uow() as uow:
        ids = uow[UciAccounts].debt_ids(uci_debts(raw)["external_id"].to_list())
        written = uow[StatementRepository].add(uci_statements(raw, ids))
        uow.commit()
    return UciImportReport(accounts=ids.height, statements=written,
                           default_rate=float(raw["default_next_month"].mean() or 0.0))

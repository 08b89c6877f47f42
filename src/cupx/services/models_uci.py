"""Importing the UCI credit-card data set into CU-PX (customers, debts, monthly statements).

`import_uci(runtime_uow, raw, now)` maps the normalised UCI frame with `cupx.analytics.uci` and writes it
in one transaction: customers and debts through the `UciAccounts` port (an idempotent upsert by
external id: existing accounts are kept), then the statements (replaced per debt and month). Running
it twice leaves the same data. Training then goes through the normal pipeline (`cupx model train
--as-of 2005-10-01`), reading these tables.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from cupx.analytics.uci import uci_customers, uci_debts, uci_statements
from cupx.services.models import StatementRepository
from cupx.services.uow import UnitOfWork

__all__ = ["UciAccounts", "UciImportReport", "import_uci"]


class UciAccounts(abc.ABC):
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

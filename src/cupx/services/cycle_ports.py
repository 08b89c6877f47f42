"""Ports of the nightly cycle: the run store (bulk in and out) and the strategy registry.

Implemented in `cupx.adapters.repositories.cycle`. Loading is one query per table into Polars (COPY on
PostgreSQL); writing is the bulk helper in the caller's transaction, inserting only rows whose
deterministic key ((as_of, debt_id), message_key, progress key, assignment key) is not there yet. The
records (decisions, progress, assignments) and the outbox rows are separate calls, so the service can
write them in two transactions at once where the store allows it (`concurrent_writes`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from cupx.cycle.inputs import CycleInputs
from cupx.strategy.loader import LoadedStrategy

__all__ = ["CycleAuditLog", "CycleStore", "DecisionRows", "RunRecord", "StrategyRegistry", "StrategyVersion"]


@dataclass(frozen=True)
class RunRecord:
    id: int
    as_of: date
    status: str  # started | completed
    phase: str  # load | decide | write | done
    attempts: int
    counts: dict[str, Any]
    started_at: datetime | None = None  # the first attempt's start: the cut-off of what the run knows


@dataclass(frozen=True)
class StrategyVersion:
    strategy_id: str
    version: int
    sha256: str
    live: bool
    created_at: datetime
    source: str


@dataclass(frozen=True)
class DecisionRows:
    new: pl.DataFrame  # the cycle_decisions rows to insert, `id` included
    ids: pl.DataFrame  # debt_id -> id, every decision of the date (stored before and new)


class CycleStore(abc.ABC):
    @abc.abstractmethod
    def load_inputs(self, as_of: date, customer_ids: list[int] | None = None,
                    known_before: datetime | None = None) -> CycleInputs:
        """Every input table as of the run date (optionally for some customers only, for explain).

        `known_before` also excludes events, promises and ledger postings recorded at or after that
        instant (the run's start), so a rerun or an explain of the date sees what the run saw."""

    @abc.abstractmethod
    def run(self, as_of: date) -> RunRecord | None: ...

    @abc.abstractmethod
    def start_run(self, as_of: date, now: datetime, strategies: list[list[Any]]) -> RunRecord:
        """Create the run of `as_of` (status started) or count one more attempt of an unfinished one."""

    @abc.abstractmethod
    def set_phase(self, run_id: int, phase: str, error: str | None = None) -> None: ...

    @property
    def concurrent_writes(self) -> bool:
        """Whether two transactions can write the run at once (PostgreSQL; SQLite has one writer)."""
        return False

    @abc.abstractmethod
    def new_decisions(self, run: RunRecord, decisions: pl.DataFrame, now: datetime) -> DecisionRows:
        """The date's decision rows not stored yet, with ids reserved for them, and the id of every decision
        of the date (for the outbox payloads). The ids stay reserved even if the transaction rolls back."""

    @abc.abstractmethod
    def write_records(self, run: RunRecord, decisions: pl.DataFrame, rows: DecisionRows,
                      checkpoint: Callable[[str], None]) -> dict[str, int]:
        """Insert the new decisions, the progress and the new assignments that are not there yet; count them."""

    @abc.abstractmethod
    def write_outbox(self, run: RunRecord, decisions: pl.DataFrame, ids: pl.DataFrame, now: datetime) -> int:
        """Insert the outbox rows (contract C5) not stored yet; `ids`: debt_id -> id of its stored decision."""

    @abc.abstractmethod
    def complete_run(self, run_id: int, now: datetime, counts: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def decisions(self, as_of: date, debt_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored decisions of a run date (all, or of some debts)."""

    @abc.abstractmethod
    def customer_of(self, debt_id: int) -> int:
        """The customer owning a debt (NotFound when none)."""


class StrategyRegistry(abc.ABC):
    @abc.abstractmethod
    def register(self, loaded: LoadedStrategy, now: datetime, by: str) -> StrategyVersion:
        """Store a version (the YAML text and its hash); the same text twice is one version.
        A different text under an existing (id, version) is a Conflict."""

    @abc.abstractmethod
    def set_live(self, strategy_id: str, version: int) -> None:
        """Make this version the only live one of its strategy id."""

    @abc.abstractmethod
    def live(self) -> list[LoadedStrategy]:
        """The live versions, ordered by strategy id (the routing order)."""

    @abc.abstractmethod
    def versions(self) -> list[StrategyVersion]: ...


class CycleAuditLog(abc.ABC):
    """The guard audit records a cycle date already wrote (so a rerun appends none)."""

    @abc.abstractmethod
    def recorded(self, prefix: str) -> set[str]:
        """Decision ids starting with `prefix` (e.g. "cycle:2026-01-05:")."""

"""Model use cases and the ports they need: the registry, the portfolio reader, statements.

- `ModelRegistry` (port): versioned model artefacts plus the `models` table; `active()` gives the model
  chosen with `cupx model activate`, or None when none is (then the cycle uses its rule score).
- `PortfolioReader` (port): the portfolio tables as Polars lazy frames keyed by table name, with the
  database column names (contract C7's `tables`).
- `StatementRepository` (port): bulk writes of monthly statements.

Handlers (train, activate, evaluate, drift) live in `cupx.services.models_ops`; they read the clock only
through their `now` parameter.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from cupx.analytics.model import TrainedModel
from cupx.services.uow import UnitOfWork

__all__ = ["ModelRecord", "ModelRegistry", "PortfolioReader", "StatementRepository", "active_model"]

PORTFOLIO_TABLES = ("debts", "ledger_entries", "contact_events", "promises", "statements")


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version (a row of `models`)."""

    version: str
    created_at: datetime
    trained_as_of: date | None
    artefact_path: str
    artefact_sha256: str
    data_hash: str
    features: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    library_versions: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    active: bool = False
    activated_at: datetime | None = None
    activated_by: str | None = None


class ModelRegistry(abc.ABC):
    @abc.abstractmethod
    def active(self) -> TrainedModel | None:
        """The active model, or None when no model has been activated."""

    @abc.abstractmethod
    def get(self, version: str) -> TrainedModel:
        """The model of `version` (NotFound when unknown; Conflict when its artefact was altered)."""

    @abc.abstractmethod
    def save(self, model: TrainedModel, *, created_at: datetime, trained_as_of: date | None) -> ModelRecord:
        """Write the artefact and register the version (not active)."""

    @abc.abstractmethod
    def activate(self, version: str, *, at: datetime, by: str) -> ModelRecord:
        """Make `version` the only active model."""

    @abc.abstractmethod
    def records(self) -> list[ModelRecord]:
        """Every registered version, newest first."""


class PortfolioReader(abc.ABC):
    @abc.abstractmethod
    def tables(self, names: tuple[str, ...] = PORTFOLIO_TABLES) -> dict[str, pl.LazyFrame]:
        """The named tables as lazy frames with the database column names."""


class StatementRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, statements: pl.DataFrame) -> int:
        """Insert statements (debt_id, period, billed_minor, paid_minor, months_late, credit_limit_minor,
        currency[, source]); an existing (debt_id, period) is replaced. Returns the rows written."""


def active_model(uow: UnitOfWork) -> TrainedModel | None:
    """The active model (contract C7), or None: `with runtime.uow() as uow: model = active_model(uow)`."""
    return uow[ModelRegistry].active()

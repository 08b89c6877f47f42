"""The storage port the importer works through, and what a run reports.

`ImportRepository` is deliberately table-shaped: the importer validates whole files as frames and
writes them in bulk, so its needs are "look up these keys", "reserve ids", "insert this frame", "update
these rows by id". The SQL adapter (`cupx.adapters.repositories.imports`) uses COPY on PostgreSQL and
executemany on SQLite, inside the unit of work's one transaction.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl

__all__ = ["ImportReport", "ImportRepository", "Progress"]


class ImportRepository(abc.ABC):
    """Bulk reads and writes for imports, all in the caller's transaction."""

    @abc.abstractmethod
    def lookup(self, table: str, key: str, values: Sequence[Any], columns: Sequence[str]) -> pl.DataFrame:
        """Rows of `table` whose `key` is in `values`, with `columns` typed like the table."""

    @abc.abstractmethod
    def allocate_ids(self, table: str, n: int) -> int:
        """Reserve `n` consecutive ids of `table` and return the first."""

    @abc.abstractmethod
    def insert(self, table: str, frame: pl.DataFrame) -> int:
        """Insert every row of `frame` (columns named like the table's)."""

    @abc.abstractmethod
    def update(self, table: str, frame: pl.DataFrame) -> int:
        """Update rows by `id` with the other columns of `frame`."""

    @abc.abstractmethod
    def delete(self, table: str, column: str, values: Sequence[Any]) -> int:
        """Delete rows whose `column` is in `values`."""


class Progress(Protocol):
    """Told how far the run is: `progress("encrypting", 50_000, 200_000)`."""

    def __call__(self, stage: str, completed: int, total: int) -> None: ...


@dataclass(slots=True)
class ImportReport:
    """What one run did. `rejected` counts rows; `problems` holds every (row, field, reason)."""

    kind: str
    path: Path
    rows_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    run_id: int | None = None
    seconds: float = 0.0
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "file": str(self.path), "rows": self.rows_total, "inserted": self.inserted,
            "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
            "rejects_file": str(self.rejects_path) if self.rejects_path else None, "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
        }

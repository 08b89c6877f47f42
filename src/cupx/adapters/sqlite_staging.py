"""Large SQLite inserts through a staging file: the rows cross into SQLite in C, not as Python objects.

`stage_rows(frame)` writes the frame (already in the values SQLite stores: text dates and instants, 0/1
booleans) into a private staging database file with the ADBC SQLite driver, which binds Arrow columns in
C; `Stage.insert_into(raw, table)` attaches that file to the caller's sqlite3 connection and copies the
rows with one `INSERT INTO main.table SELECT ... FROM stage`, inside the caller's transaction. At a
million rows this takes about half the time of `executemany`, whose cost is mostly building and binding
a Python object per value (decisions of a 1M-account cycle: 3.6 s -> 2.1 s). The staging needs no
connection, so it can run on another thread while the connection copies other rows (it is about half of
the time); `Stage.discard()` deletes a stage that will not be copied.

Invariants:
- the rows land or vanish with the caller's transaction, exactly as `executemany` would insert them: the
  staged values keep their storage class (INTEGER, REAL, TEXT, BLOB, NULL) and the table's own column
  affinities apply on the copy;
- the staging file is never open in both SQLite libraries at once (ADBC writes and closes it before
  sqlite3 attaches it; two libraries in one process must not share a database file) and is deleted as
  soon as the copy is done; the attachment (an open descriptor of the deleted file) is dropped by the
  next staged insert on the connection or when the connection returns to its pool (`detach_stages`);
- with no free attachment slot left (SQLite allows 10), `staging_available` says so and the caller
  inserts the usual way.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # frames only pass through: the engine module (cupx.adapters.db) imports this one
    import polars as pl

__all__ = ["Stage", "detach_stages", "stage_rows", "staging_available"]

_PREFIX = "cupx_stage_"
_CHUNK_ROWS = 100_000


def _stages(raw: sqlite3.Connection) -> list[str]:
    return [row[1] for row in raw.execute("PRAGMA database_list") if str(row[1]).startswith(_PREFIX)]


def detach_stages(raw: Any, *_: Any) -> None:
    """Detach the staging files no open transaction still reads (also a pool `checkin` listener)."""
    for name in _stages(raw):
        with contextlib.suppress(sqlite3.OperationalError):  # "locked": the current transaction read it
            raw.execute(f"DETACH DATABASE {name}")


def staging_available(raw: sqlite3.Connection) -> bool:
    detach_stages(raw)
    attached = sum(1 for row in raw.execute("PRAGMA database_list") if row[1] not in ("main", "temp"))
    return attached < raw.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)


def _batches(frame: pl.DataFrame) -> Any:
    """The frame as a stream of Arrow batches, converted one chunk at a time (never a whole copy)."""
    import pyarrow as pa

    chunks = (frame.slice(start, _CHUNK_ROWS).to_arrow() for start in range(0, frame.height, _CHUNK_ROWS))
    return pa.RecordBatchReader.from_batches(frame.head(0).to_arrow().schema,
                                             (batch for chunk in chunks for batch in chunk.to_batches()))


class Stage:
    """Rows written to a staging file, waiting to be copied into a table (once)."""

    def __init__(self, folder: Path, columns: list[str]) -> None:
        self._folder: Path | None = folder
        self.columns = columns

    def insert_into(self, raw: sqlite3.Connection, table: str) -> None:
        """Copy the rows into `table` in the open transaction of `raw`; the file is deleted either way."""
        if self._folder is None:
            raise RuntimeError("this stage was already inserted or discarded")
        try:
            name = _PREFIX + uuid.uuid4().hex[:12]
            raw.execute(f"ATTACH DATABASE ? AS {name}", (str(self._folder / "rows.db"),))
            cols = ", ".join(f'"{c}"' for c in self.columns)
            raw.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM {name}.rows')  # noqa: S608
        finally:
            self.discard()  # still readable through the attachment until detached

    def discard(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def stage_rows(frame: pl.DataFrame) -> Stage:
    """Write `frame` (in the values SQLite stores) to a new staging file; touches no open connection."""
    import adbc_driver_sqlite.dbapi as adbc  # brings pyarrow: only for large inserts

    folder = Path(tempfile.mkdtemp(prefix="cupx-stage-"))
    try:
        with adbc.connect(str(folder / "rows.db"), autocommit=True) as stage, stage.cursor() as cur:
            cur.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to recover
            cur.execute("PRAGMA synchronous = OFF")
            cur.adbc_ingest("rows", _batches(frame), mode="create")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Stage(folder, list(frame.columns))

"""Bulk reads of several queries at once from PostgreSQL, all as of one snapshot, straight into Arrow.

`read_snapshot(engine, queries)` runs each named SELECT on one of `readers` ADBC connections (the
Arrow Database Connectivity driver streams `COPY ... TO STDOUT (FORMAT binary)` into Arrow columns in
C, without a Python object per row, and releases the GIL while it waits), so the server runs the
queries on several cores while the client converts the previous result. Returns one Polars frame per
query, its columns named positionally by `names[query]` (result columns may share a name, such as two
COALESCE expressions).

Invariant: every query reads the same committed state, as one transaction would. The first reader opens
a REPEATABLE READ, READ ONLY transaction and exports its snapshot (`pg_export_snapshot`); the others
import it (`SET TRANSACTION SNAPSHOT`) before their first query. The exporting transaction stays open
until every reader is done, and all of them only read and are rolled back. The readers are connections
of their own, so they see committed data only, never the caller's open transaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from sqlalchemy import Engine

__all__ = ["libpq_uri", "read_snapshot"]


def libpq_uri(engine: Engine) -> str:
    """The libpq form of a SQLAlchemy PostgreSQL engine's URL (password included)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _begin(conn: Any, snapshot: str | None) -> str:
    cur = conn.cursor()
    try:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SET TRANSACTION READ ONLY")
        if snapshot is not None:
            cur.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return snapshot
        cur.execute("SELECT pg_export_snapshot()")
        row = cur.fetchone()
        assert row is not None
        return str(row[0])
    finally:
        cur.close()


def _read(conn: Any, sql: str, names: Sequence[str]) -> pl.DataFrame:
    cur = conn.cursor()
    try:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    finally:
        cur.close()
    if table.num_columns != len(names):
        raise ValueError(f"query returned {table.num_columns} columns, expected {len(names)}: {list(names)}")
    frame = pl.from_arrow(table.rename_columns(list(names)).replace_schema_metadata(None))
    assert isinstance(frame, pl.DataFrame)
    return frame


def read_snapshot(engine: Engine, queries: dict[str, str], names: dict[str, Sequence[str]], *,
                  readers: int = 2) -> dict[str, pl.DataFrame]:
    """Run `queries` (name -> SELECT, in the order to start them: put the largest first) on `readers`
    connections sharing one snapshot; returns name -> frame in the order of `queries`."""
    if engine.dialect.name != "postgresql":
        raise ValueError(f"snapshot reads need PostgreSQL, not {engine.dialect.name}")
    if not queries:
        return {}
    pending = list(reversed(queries))  # pop() takes them in the given order
    lock = threading.Lock()
    frames: dict[str, pl.DataFrame] = {}
    # imported here: the driver brings pyarrow, ~0.2-0.3 s that every CLI and API start would pay otherwise
    import adbc_driver_postgresql.dbapi as adbc

    uri = libpq_uri(engine)
    conns: list[Any] = []
    try:
        snapshot: str | None = None
        for _ in range(max(1, min(readers, len(queries)))):
            conns.append(adbc.connect(uri))
            snapshot = _begin(conns[-1], snapshot)

        def reader(conn: Any) -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    name = pending.pop()
                try:
                    frames[name] = _read(conn, queries[name], names[name])
                except Exception:
                    with lock:  # the others stop after their current query: the read has failed anyway
                        pending.clear()
                    raise

        with ThreadPoolExecutor(len(conns)) as pool:
            futures = [pool.submit(reader, conn) for conn in conns]
            for future in futures:
                future.result()  # the first failed read raises, once every reader has stopped
    finally:
        for conn in conns:
            with contextlib.suppress(Exception):  # a broken connection must not hide the error that broke it
                conn.rollback()
            conn.close()
    return {name: frames[name] for name in queries}

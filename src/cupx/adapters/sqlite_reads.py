"""Bulk reads of several queries from a SQLite database file, in one read transaction, into Arrow.

`read_sqlite(database, queries, names)` runs each named SELECT in a child process with the ADBC SQLite
driver, which builds Arrow columns in C, and returns one Polars frame per query, its columns named
positionally by `names[query]`. Why: the sqlite3 module builds a Python tuple per row, which is most of
the cost of a large read (the cycle's contact events at 1M accounts: 6.1 s through sqlite3, 2.4 s
through ADBC). Why a child process: two SQLite libraries in one process on one WAL database release
each other's POSIX locks and can unmap each other's shared-memory index (seen as SIGBUS); in a process of
its own the driver is one more reader, as another program would be.

With `readers` > 1 the queries are shared among that many child processes (the caller's `costs`, an
estimate of each query's time, decide the split: largest first, to the least loaded), which run at once
on as many cores. This process then holds the database's write lock (BEGIN IMMEDIATE) until they are
done, so no writer commits in between and every child reads the same committed state; writers wait for
the read (their busy timeout covers seconds). If the lock cannot be had within `_LOCK_WAIT_S` (another
writer is busy), the queries are read by one child, in one transaction, as before.

Invariants:
- every query reads the same committed state: a child runs its queries on one connection inside one
  transaction (in WAL mode its snapshot is fixed by the first read), and only reads; several children
  read while this process keeps writers out; no child sees the caller's uncommitted writes;
- the driver types each column from the values it returns (SQLite has no column types in a result), so
  a query must give each column one type: COALESCE nullable text to ''. A column that is NULL for every
  row comes back as nulls of int64. The whole result is one batch, so a column NULL in its first rows
  is still typed by the rows after them;
- a failed query raises `SqliteReadError` naming it; nothing is returned then.
"""

from __future__ import annotations

import json
import logging
import resource
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["SqliteReadError", "read_sqlite"]

log = logging.getLogger(__name__)

_ONE_BATCH = 2**30  # rows per Arrow batch: the whole result, so types come from every row
_LOCK_WAIT_S = 5.0  # how long several readers wait for the write lock before one reader reads alone


class SqliteReadError(RuntimeError):
    """A query of `read_sqlite` failed (the message names it)."""


def read_sqlite(database: str | Path, queries: dict[str, str], names: dict[str, Sequence[str]], *,
                readers: int = 1, costs: Mapping[str, float] | None = None) -> dict[str, pl.DataFrame]:
    """Run `queries` (name -> SELECT) on the SQLite file `database`; returns name -> frame in their order.
    `readers`: child processes to share the queries among; `costs`: the estimated time of each (default 1)."""
    if not queries:
        return {}
    if not Path(database).is_file():  # sqlite would create an empty database there and read nothing
        raise SqliteReadError(f"no SQLite database at {database}")
    order = list(queries)
    with tempfile.TemporaryDirectory(prefix="cupx-sqlite-read-") as out:
        jobs = [[[order.index(name), name, queries[name], list(names[name])] for name in group]
                for group in _groups(order, min(readers, len(order)), costs or {})]
        lock = _write_lock(database) if len(jobs) > 1 else None
        if len(jobs) > 1 and lock is None:
            jobs = [[job for group in jobs for job in group]]  # a writer is busy: one reader, one transaction
        children: list[subprocess.Popen[bytes]] = []
        try:
            children += [_start(database, out, n, group) for n, group in enumerate(jobs)]
            peaks = [_finish(child) for child in children]
        finally:
            for child in children:  # after a failure, the other readers are not waited for
                if child.poll() is None:
                    child.kill()
                    child.wait()
            if lock is not None:
                lock.execute("ROLLBACK")
                lock.close()
        # the children's memory is not in this process's peak: a caller measuring memory adds it from here
        # (their sum: they ran at once)
        log.info("read %d queries from %s in %d child process(es) (peak RSS %.0f MB)", len(queries), database,
                 len(jobs), sum(peaks), extra={"reader_peak_rss_mb": sum(peaks)})
        # read into memory, not mapped: the files go with the directory
        return {name: pl.read_ipc((Path(out) / f"{i}.arrow").read_bytes()) for i, name in enumerate(order)}


def _groups(order: list[str], n: int, costs: Mapping[str, float]) -> list[list[str]]:
    """The queries in `n` groups of about equal cost (the largest first, each to the least loaded)."""
    groups: list[list[str]] = [[] for _ in range(max(n, 1))]
    load = [0.0] * len(groups)
    for name in sorted(order, key=lambda q: -costs.get(q, 1.0)):
        least = load.index(min(load))
        groups[least].append(name)
        load[least] += costs.get(name, 1.0)
    return [g for g in groups if g]


def _write_lock(database: str | Path) -> sqlite3.Connection | None:
    """A connection holding the database's write lock, or None if another writer kept it too long."""
    conn = sqlite3.connect(database, timeout=_LOCK_WAIT_S, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # "database is locked"
        conn.close()
        return None
    return conn


def _start(database: str | Path, out: str, n: int, jobs: list[list[Any]]) -> subprocess.Popen[bytes]:
    request = Path(out) / f"request{n}.json"
    request.write_text(json.dumps({"database": str(database), "out": out, "queries": jobs}))
    return subprocess.Popen([sys.executable, "-m", __name__, str(request)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(child: subprocess.Popen[bytes]) -> float:
    """Wait for a reader; its peak RSS in MB. Raises its error."""
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines()
        raise SqliteReadError(lines[-1] if lines else f"the reader exited with code {child.returncode}")
    return float(json.loads(stdout.decode().strip().splitlines()[-1])["peak_rss_mb"])


def _child(request: dict[str, Any]) -> None:
    """In the child process: every query in one read transaction, each result to `{out}/{i}.arrow`."""
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    conn = adbc.connect(request["database"], autocommit=True)
    try:
        cur = conn.cursor()
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_ONE_BATCH)})
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("BEGIN")  # deferred: the snapshot is taken by the first query and kept to the end
        for i, name, sql, columns in request["queries"]:
            try:
                cur.execute(sql)
                table = cur.fetch_arrow_table()
                if table.num_columns != len(columns):
                    raise ValueError(f"returned {table.num_columns} columns, expected {len(columns)}: {columns}")
            except Exception as exc:
                raise SqliteReadError(f"query {name!r} failed: {exc}") from exc
            table = table.rename_columns(columns).replace_schema_metadata(None)
            with pa.OSFile(str(Path(request["out"]) / f"{i}.arrow"), "wb") as sink, \
                    pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        cur.execute("ROLLBACK")
        cur.close()
    finally:
        conn.close()
    print(json.dumps({"peak_rss_mb": _own_peak_rss_mb()}))


def _own_peak_rss_mb() -> float:
    """This process's own peak RSS. Not `ru_maxrss`: Linux carries the parent's resident size at the fork
    into it across exec, so a reader started by a large process reported that process's size (seen: 3 GB
    for a reader whose own peak was ~0.5 GB). VmHWM belongs to this process's address space alone."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: the best there is


if __name__ == "__main__":
    try:
        _child(json.loads(Path(sys.argv[1]).read_text()))
    except Exception as exc:  # the last stderr line is the parent's error message
        print(f"{exc}".replace("\n", " "), file=sys.stderr)
        sys.exit(1)

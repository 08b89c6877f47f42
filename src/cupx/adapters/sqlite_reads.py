"""Bulk reads of several queries from a SQLite database file, in one read transaction, into Arrow.

`read_sqlite(database, queries, names)` runs each named SELECT in a child process with the ADBC SQLite
driver, which builds Arrow columns in C, and returns one Polars frame per query, its columns named
positionally by `names[query]`. Why: the sqlite3 module builds a Python tuple per row, which is most of
the cost of a large read (the cycle's contact events at 1M accounts: 6.1 s through sqlite3, 2.4 s
through ADBC). Why a child process: two SQLite libraries in one process on one WAL database release
each other's POSIX locks and can unmap each other's shared-memory index (seen as SIGBUS); in a process of
its own the driver is one more reader, as another program would be.

Invariants:
- every query reads the same committed state: the child runs them on one connection inside one
  transaction (in WAL mode its snapshot is fixed by the first read), and only reads; it never sees the
  caller's uncommitted writes;
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
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["SqliteReadError", "read_sqlite"]

log = logging.getLogger(__name__)

_ONE_BATCH = 2**30  # rows per Arrow batch: the whole result, so types come from every row


class SqliteReadError(RuntimeError):
    """A query of `read_sqlite` failed (the message names it)."""


def read_sqlite(database: str | Path, queries: dict[str, str],
                names: dict[str, Sequence[str]]) -> dict[str, pl.DataFrame]:
    """Run `queries` (name -> SELECT) on the SQLite file `database`; returns name -> frame in their order."""
    if not queries:
        return {}
    if not Path(database).is_file():  # sqlite would create an empty database there and read nothing
        raise SqliteReadError(f"no SQLite database at {database}")
    with tempfile.TemporaryDirectory(prefix="cupx-sqlite-read-") as out:
        request = {"database": str(database), "out": out,
                   "queries": [[name, sql, list(names[name])] for name, sql in queries.items()]}
        done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(request).encode(),
                              capture_output=True, check=False)
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise SqliteReadError(lines[-1] if lines else f"the reader exited with code {done.returncode}")
        peak_mb = json.loads(done.stdout.decode().strip().splitlines()[-1])["peak_rss_mb"]
        # the child's memory is not in this process's peak: a caller measuring memory adds it from here
        log.info("read %d queries from %s in a child process (peak RSS %.0f MB)", len(queries), database, peak_mb,
                 extra={"reader_peak_rss_mb": peak_mb})
        # read into memory, not mapped: the files go with the directory
        return {name: pl.read_ipc((Path(out) / f"{i}.arrow").read_bytes()) for i, name in enumerate(queries)}


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
        for i, (name, sql, columns) in enumerate(request["queries"]):
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
        _child(json.load(sys.stdin))
    except Exception as exc:  # the last stderr line is the parent's error message
        print(f"{exc}".replace("\n", " "), file=sys.stderr)
        sys.exit(1)

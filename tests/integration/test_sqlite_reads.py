"""`cupx.adapters.sqlite_reads`: a child process reads several queries from a SQLite file into Arrow, all in
one read transaction; columns NULL in their first rows are typed by the rows after them; a failed query
or a wrong column count is an error naming the query. SQLite only (the reader is SQLite's)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from cupx.adapters import sqlite_reads
from cupx.adapters.sqlite_reads import SqliteReadError, read_sqlite


def _database(path: Path) -> Path:
    db = path / "reads.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE probe (n INTEGER, label TEXT, on_date DATE)")
        rows = [(i, None if i < 3000 else f"label {i}", None if i < 2500 else "2026-11-30") for i in range(4000)]
        conn.executemany("INSERT INTO probe VALUES (?, ?, ?)", rows)
    return db


def test_results_are_typed_and_named_positionally(tmp_path: Path) -> None:
    db = _database(tmp_path)
    frames = read_sqlite(db, {"rows": "SELECT n, label, on_date FROM probe ORDER BY n",
                              "pair": "SELECT count(*), count(*) FROM probe", "none": "SELECT n FROM probe WHERE 0"},
                         {"rows": ["n", "label", "on_date"], "pair": ["a", "b"], "none": ["n"]})
    assert list(frames) == ["rows", "pair", "none"]
    rows = frames["rows"]
    # NULL for the first 2,500-3,000 rows: still typed as text by the values after them
    assert rows.schema == pl.Schema({"n": pl.Int64(), "label": pl.String(), "on_date": pl.String()})
    assert rows.height == 4000 and rows["label"].null_count() == 3000 and rows["label"][3999] == "label 3999"
    assert frames["pair"].row(0) == (4000, 4000) and frames["none"].height == 0


@pytest.mark.parametrize("readers", [1, 2])
def test_every_query_reads_one_snapshot_while_a_writer_commits(tmp_path: Path, readers: int,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """One reader reads in one transaction; two readers read while this process keeps writers out (the
    writer waits), so a query of one and a later query of the other still see the same rows."""
    db = _database(tmp_path)
    stop = threading.Event()
    commits = []

    def write() -> None:
        with sqlite3.connect(db, timeout=30) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO probe (n) VALUES (-1)")
                conn.commit()
                commits.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while not commits:  # the writer is running before the read starts
            time.sleep(0.01)
        slow = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000000) " \
               "SELECT count(*) FROM s"
        queries = {"before": "SELECT count(*) FROM probe", "slow": slow, "after": "SELECT count(*) FROM probe"}
        # with two readers: "before" alone in one, "slow" then "after" in the other
        with caplog.at_level("INFO", logger="cupx.adapters.sqlite_reads"):
            frames = read_sqlite(db, queries, {q: ["n"] for q in queries}, readers=readers,
                                 costs={"before": 10, "slow": 5, "after": 1})
        during = len(commits)
    finally:
        stop.set()
        writer.join()
    with sqlite3.connect(db) as conn:
        now = conn.execute("SELECT count(*) FROM probe").fetchone()[0]
    assert frames["before"]["n"][0] == frames["after"]["n"][0] < now  # rows were committed, none seen mid-read
    assert during > (10 if readers == 1 else 0)
    assert f"in {readers} child process(es)" in caplog.text


def test_queries_are_shared_by_cost_largest_first_to_the_least_loaded() -> None:
    costs = {"events": 3.1, "progress": 2.1, "ledger": 1.7, "debts": 1.2}
    order = ["debts", "ledger", "events", "progress", "small"]
    assert sqlite_reads._groups(order, 2, costs) == [["events", "debts"], ["progress", "ledger", "small"]]
    assert sqlite_reads._groups(order, 1, costs) == [["events", "progress", "ledger", "debts", "small"]]
    assert sqlite_reads._groups(["a"], 2, {}) == [["a"]]


def test_with_a_busy_writer_one_reader_reads_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    db = _database(tmp_path)
    monkeypatch.setattr(sqlite_reads, "_LOCK_WAIT_S", 0.2)
    with sqlite3.connect(db, isolation_level=None) as busy:
        busy.execute("BEGIN IMMEDIATE")  # a writer holding the lock for longer than the readers wait
        busy.execute("INSERT INTO probe (n) VALUES (-1)")
        with caplog.at_level("INFO", logger="cupx.adapters.sqlite_reads"):
            frames = read_sqlite(db, {"a": "SELECT count(*) FROM probe", "b": "SELECT max(n) FROM probe"},
                                 {"a": ["n"], "b": ["m"]}, readers=2)
        busy.execute("ROLLBACK")
    assert frames["a"]["n"][0] == 4000 and frames["b"]["m"][0] == 3999
    assert "in 1 child process(es)" in caplog.text


def test_when_one_of_several_readers_fails_the_error_names_its_query(tmp_path: Path) -> None:
    db = _database(tmp_path)
    slow = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000000) SELECT count(*) FROM s"
    with pytest.raises(SqliteReadError, match=r"query 'missing' failed: .*no such table: nowhere"):
        read_sqlite(db, {"missing": "SELECT * FROM nowhere", "slow": slow}, {"missing": ["y"], "slow": ["n"]},
                    readers=2, costs={"missing": 2})
    with sqlite3.connect(db, timeout=0.1) as conn:  # the lock is let go: a writer gets in at once
        conn.execute("INSERT INTO probe (n) VALUES (-1)")


def test_a_failed_query_or_a_wrong_column_count_names_the_query(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with pytest.raises(SqliteReadError, match=r"query 'missing' failed: .*no such table: nowhere"):
        read_sqlite(db, {"fine": "SELECT 1", "missing": "SELECT * FROM nowhere"}, {"fine": ["x"], "missing": ["y"]})
    with pytest.raises(SqliteReadError, match=r"query 'wide' failed: returned 2 columns, expected 1: \['only'\]"):
        read_sqlite(db, {"wide": "SELECT 1, 2"}, {"wide": ["only"]})
    with pytest.raises(SqliteReadError, match="no SQLite database at .*absent.db"):
        read_sqlite(tmp_path / "absent.db", {"a": "SELECT * FROM probe"}, {"a": ["n"]})
    assert not (tmp_path / "absent.db").exists() and read_sqlite(db, {}, {}) == {}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


def test_the_reported_peak_is_the_readers_own_not_its_parents(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    db = _database(tmp_path)
    ballast = b"x" * (400 * 2**20)  # resident in this process when the reader is started
    parent_mb = _rss_mb()
    with caplog.at_level("INFO", logger="cupx.adapters.sqlite_reads"):
        read_sqlite(db, {"n": "SELECT count(*) FROM probe"}, {"n": ["n"]})
    peaks = [r.reader_peak_rss_mb for r in caplog.records if hasattr(r, "reader_peak_rss_mb")]
    del ballast
    # ru_maxrss would report at least the parent's size, carried across fork and exec
    assert len(peaks) == 1 and 0 < peaks[0] < parent_mb - 300, (peaks, parent_mb)

"""The cycle's input reads: the whole-portfolio read (on PostgreSQL, `cupx.adapters.snapshot_reads`: two
connections sharing one snapshot, into Arrow; on SQLite, a large portfolio by the child process of
`cupx.adapters.sqlite_reads`, a small one in process) gives exactly what the per-customer read of explain
gives (on PostgreSQL, COPY in the caller's transaction), on a portfolio with progress and experiment arms
from a first night and with promises, plans and holds; the snapshot readers really share one snapshot;
bad input is refused with a clear error. Both databases."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from payments_factories import make_customer, make_debt
from sqlalchemy import Engine, text

from cupx.adapters.repositories import cycle as cycle_repository
from cupx.adapters.repositories.cycle import SqlCycleStore
from cupx.adapters.snapshot_reads import read_snapshot
from cupx.adapters.sqlite_reads import read_sqlite
from cupx.bootstrap import Runtime
from cupx.cycle.inputs import INPUT_SCHEMAS
from cupx.services.cycle import run_cycle
from cupx.services.cycle_strategies import add_strategy
from cupx.services.promises import MakePromise, make_promise
from reference.cycle_portfolio import seed_portfolio

AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


def _portfolio(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        seed_portfolio(uow.connection, 120, AS_OF, seed=5)
        uow.commit()
    for name in ("b2b_invoices", "consumer_card", "telecom_utility"):
        path = STRATEGIES / f"{name}.yaml"
        add_strategy(runtime.uow, path.read_text(), str(path), NOW, live=True)
    made = datetime(2026, 11, 10, 15, tzinfo=UTC)
    for days in (1, 12):
        cid = make_customer(runtime, now=made)
        did = make_debt(runtime, cid, 40_000, now=made)
        with runtime.uow() as uow:
            make_promise(uow, MakePromise(cid, 10_000, "USD", AS_OF - timedelta(days=days), debt_id=did, now=made))
    run_cycle(runtime.uow, AS_OF, NOW)  # the first night leaves progress and experiment arms behind


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("child_from", [0, 10**9], ids=["sqlite_child_reader", "sqlite_in_process"])
def test_whole_portfolio_read_equals_the_per_customer_read(runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
                                                           child_from: int) -> None:
    _portfolio(runtime)
    # SQLite reads a large portfolio in a child process (cupx.adapters.sqlite_reads): here from 0 debts or never
    monkeypatch.setattr(cycle_repository, "SQLITE_CHILD_READ_MIN_DEBTS", child_from)
    children: list[str] = []

    def spy(database: str, *args: Any, **kwargs: Any) -> dict[str, pl.DataFrame]:
        children.append(database)
        return read_sqlite(database, *args, **kwargs)

    monkeypatch.setattr(cycle_repository, "read_sqlite", spy)
    nxt, known = AS_OF + timedelta(days=1), NOW + timedelta(days=1)
    with runtime.uow() as uow:
        store = SqlCycleStore(uow.connection, runtime)
        whole = store.load_inputs(nxt, None, known).frames
        customers = whole["customers"]["id"].to_list()
        some = store.load_inputs(nxt, customers, known).frames
    assert len(children) == (1 if runtime.engine.dialect.name == "sqlite" and child_from == 0 else 0)
    assert set(whole) == set(some) and {"progress", "assignments", "promises"} <= set(whole)
    for name, frame in whole.items():
        assert frame.schema == INPUT_SCHEMAS[name], name
        assert _sorted(frame).equals(_sorted(some[name])), name
    assert whole["progress"].height > 0 and whole["assignments"].height > 0 and whole["promises"].height == 2
    assert whole["contact_events"]["payload"].null_count() > 0  # '' read back as null on both paths


def test_the_readers_share_the_queries_by_cost_and_an_empty_history_costs_nothing(runtime: Runtime) -> None:
    wanted = {"progress": "", "assignments": "", "debts": ""}
    with runtime.engine.connect() as conn:
        first = cycle_repository._read_costs(conn, wanted)
    _portfolio(runtime)  # its first night stores progress and experiment arms
    with runtime.engine.connect() as conn:
        later = cycle_repository._read_costs(conn, wanted)
    assert first["progress"] == first["assignments"] == 0
    assert later["progress"] == cycle_repository._READ_COSTS["progress"] > 0
    assert later["assignments"] == cycle_repository._READ_COSTS["assignments"] > 0
    assert first["debts"] == later["debts"] > 0


def test_snapshot_readers_see_one_snapshot(engine: Engine) -> None:
    queries = {f"q{i}": "SELECT pg_current_snapshot()::text, current_setting('transaction_read_only')"
               for i in range(4)}
    names = {q: ["snapshot", "read_only"] for q in queries}
    if engine.dialect.name != "postgresql":
        with pytest.raises(ValueError, match="snapshot reads need PostgreSQL, not sqlite"):
            read_snapshot(engine, queries, names)
        return
    frames = read_snapshot(engine, queries, names, readers=2)
    assert list(frames) == list(queries)
    rows = {tuple(f.row(0)) for f in frames.values()}
    assert len(rows) == 1 and next(iter(rows))[1] == "on"
    with engine.connect() as conn:  # the readers are gone: none of their transactions is left open
        left = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND state LIKE 'idle in transaction%'")).scalar_one()
    assert left == 0


def test_a_row_committed_while_the_readers_run_is_seen_by_none(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        with pytest.raises(ValueError, match="need PostgreSQL"):
            read_snapshot(engine, {"a": "SELECT 1"}, {"a": ["x"]})
        return
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS snapshot_probe"))
        conn.execute(text("CREATE TABLE snapshot_probe (n int)"))

    def commit_a_row() -> None:
        time.sleep(0.3)  # the readers' snapshot is taken; both are asleep in their first query
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO snapshot_probe VALUES (1)"))

    writer = threading.Thread(target=commit_a_row)
    writer.start()
    try:
        # both readers sleep first, then count: the row committed meanwhile is invisible to both
        queries = {"sleep0": "SELECT pg_sleep(1.2)::text", "sleep1": "SELECT pg_sleep(1.2)::text",
                   "count0": "SELECT count(*) FROM snapshot_probe", "count1": "SELECT count(*) FROM snapshot_probe"}
        frames = read_snapshot(engine, queries, {q: ["v"] for q in queries}, readers=2)
    finally:
        writer.join()
    assert frames["count0"]["v"].to_list() == frames["count1"]["v"].to_list() == [0]
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM snapshot_probe")).scalar_one() == 1
        conn.execute(text("DROP TABLE snapshot_probe"))


def test_snapshot_reads_name_a_wrong_column_count_and_surface_a_failed_query(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        with pytest.raises(ValueError, match="need PostgreSQL"):
            read_snapshot(engine, {"a": "SELECT 1"}, {"a": ["x"]})
        return
    with pytest.raises(ValueError, match=r"query returned 2 columns, expected 1: \['only'\]"):
        read_snapshot(engine, {"a": "SELECT 1, 2"}, {"a": ["only"]})
    with pytest.raises(Exception, match="no_such_table"):
        read_snapshot(engine, {"a": "SELECT 1", "b": "SELECT * FROM no_such_table"}, {"a": ["x"], "b": ["y"]})

"""The cycle's guard answers leave audit records (RULES.md §7.6): one per guarded contact, allowed or
blocked, in the run's write transaction; a rerun or an interrupted run adds none twice; the chain verifies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from cupx.adapters.tables.compliance import guard_audit_records
from cupx.adapters.tables.core import contact_events
from cupx.bootstrap import Runtime
from cupx.cycle.pipeline import decide
from cupx.entrypoints.cli import app
from cupx.services.audit import verify_chain
from cupx.services.cycle import live_strategies, load_and_score, run_cycle
from cupx.services.cycle_audit import audit_rows, record_cycle_audit
from cupx.services.cycle_strategies import add_strategy
from cupx.strategy.compiler import compile_strategy
from reference.cycle_portfolio import seed_portfolio

AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


def _setup(runtime: Runtime, n: int = 200) -> None:
    with runtime.uow() as uow:
        seed_portfolio(uow.connection, n, AS_OF, seed=7)
        uow.commit()
    for name in ("b2b_invoices", "consumer_card", "telecom_utility"):
        path = STRATEGIES / f"{name}.yaml"
        add_strategy(runtime.uow, path.read_text(), str(path), NOW, live=True)
    # written cease notices for a few customers the guard would otherwise allow, so both answers occur
    allowed = _expected(runtime).filter(pl.col("outcome") == "allowed")["customer_id"].head(3).to_list()
    with runtime.engine.begin() as conn:
        conn.execute(insert(contact_events), [
            {"customer_id": c, "type": "cease_notice", "at": NOW - timedelta(days=2),
             "payload": '{"medium": "mail", "written": true}'} for c in allowed])


def _expected(runtime: Runtime) -> pl.DataFrame:
    with runtime.uow() as uow:
        inputs, scores = load_and_score(uow, AS_OF, known_before=NOW)
        live = live_strategies(uow)
    out = decide(inputs, [compile_strategy(ls.strategy) for ls in live], AS_OF, scores).decisions
    return audit_rows(out, f"cycle:{AS_OF}").select(
        "decision_id", "outcome", pl.col("reason_codes").list.join(","), "customer_id").sort("decision_id")


def _stored(runtime: Runtime) -> pl.DataFrame:
    t = guard_audit_records
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(t.c.decision_id, t.c.outcome, t.c.reason_codes, t.c.customer_id)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=["decision_id", "outcome", "reason_codes", "customer_id"],
                        orient="row").sort("decision_id")


def _count(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(guard_audit_records)).scalar_one())


def test_run_records_one_audit_record_per_guarded_contact(runtime: Runtime, db_url: str) -> None:
    _setup(runtime)
    expected = _expected(runtime)
    assert set(expected["outcome"]) == {"allowed", "blocked"}  # the portfolio exercises both answers
    assert (expected.filter(pl.col("outcome") == "blocked")["reason_codes"] != "").all()
    summary = run_cycle(runtime.uow, AS_OF, NOW)
    assert summary.counts["written.audit"] == expected.height
    assert _stored(runtime).equals(expected)
    again = run_cycle(runtime.uow, AS_OF, NOW + timedelta(hours=1))
    assert again.status == "already_completed" and _count(runtime) == expected.height
    # recording the same date again (e.g. a write retried after its commit) appends nothing
    with runtime.uow() as uow:
        inputs, scores = load_and_score(uow, AS_OF, known_before=NOW)
        live = live_strategies(uow)
        out = decide(inputs, [compile_strategy(ls.strategy) for ls in live], AS_OF, scores).decisions
        assert record_cycle_audit(uow, AS_OF, out, NOW) == 0
        uow.commit()
    assert _count(runtime) == expected.height
    assert verify_chain(runtime).ok and verify_chain(runtime).checked == expected.height
    cli = CliRunner().invoke(app, ["audit", "verify", "--database-url", db_url])
    assert cli.exit_code == 0, cli.output


@pytest.mark.parametrize("fail_at", ["decided", "all_written"])
def test_interrupted_run_records_each_contact_once(runtime: Runtime, fail_at: str) -> None:
    _setup(runtime, 120)

    def boom(point: str) -> None:
        if point == fail_at:
            raise RuntimeError(f"interrupted at {point}")

    with pytest.raises(RuntimeError):
        run_cycle(runtime.uow, AS_OF, NOW, checkpoint=boom)
    assert _count(runtime) == 0  # nothing is recorded without its decisions
    run_cycle(runtime.uow, AS_OF, NOW + timedelta(minutes=5))
    assert _stored(runtime).equals(_expected(runtime))
    assert verify_chain(runtime).ok

"""`cycle run` on both databases: run, rerun (nothing new), interrupted runs completed without duplicates or
missing actions, progress across nights, explain agreeing with stored decisions, dry-run writing nothing."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text

from cupx.adapters import bulk
from cupx.adapters.tables.compliance import guard_audit_records
from cupx.adapters.tables.core import outbox_messages
from cupx.adapters.tables.cycle import cycle_decisions, cycle_runs, experiment_assignments, ladder_progress
from cupx.bootstrap import Runtime
from cupx.cycle.pipeline import decide
from cupx.domain.errors import Conflict
from cupx.services import cycle_write
from cupx.services.audit import verify_chain
from cupx.services.cycle import live_strategies, load_and_score, run_cycle
from cupx.services.cycle_explain import dry_run, explain_debt
from cupx.services.cycle_strategies import add_strategy, list_strategies
from cupx.strategy.compiler import compile_strategy
from cupx.strategy.loader import parse_strategy
from reference.cycle_portfolio import seed_portfolio

AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"
TABLES = (cycle_decisions, outbox_messages, ladder_progress, experiment_assignments)


def _setup(runtime: Runtime, n: int = 150) -> None:
    with runtime.uow() as uow:
        seed_portfolio(uow.connection, n, AS_OF, seed=11)
        uow.commit()
    for name in ("b2b_invoices", "consumer_card", "telecom_utility"):
        path = STRATEGIES / f"{name}.yaml"
        add_strategy(runtime.uow, path.read_text(), str(path), NOW, live=True)


def _counts(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


def _decisions(runtime: Runtime, as_of: date = AS_OF) -> pl.DataFrame:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cycle_decisions.c.debt_id, cycle_decisions.c.decision, cycle_decisions.c.step_id,
                                   cycle_decisions.c.message_key).where(cycle_decisions.c.as_of == as_of)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=["debt_id", "decision", "step_id", "message_key"],
                        orient="row").sort("debt_id")


def _expected(runtime: Runtime, as_of: date = AS_OF) -> pl.DataFrame:
    with runtime.uow() as uow:
        inputs, scores = load_and_score(uow, as_of)
        live = live_strategies(uow)
    out = decide(inputs, [compile_strategy(ls.strategy) for ls in live], as_of, scores).decisions
    return out.select("debt_id", pl.col("kind").alias("decision"), "step_id", "message_key").sort("debt_id")


def test_run_writes_every_decision_and_a_rerun_creates_nothing_new(runtime: Runtime) -> None:
    _setup(runtime)
    expected = _expected(runtime)
    first = run_cycle(runtime.uow, AS_OF, NOW)
    assert first.status == "completed" and first.counts["written.decisions"] == 150
    after_first = _counts(runtime)
    assert after_first["outbox_messages"] == expected["message_key"].drop_nulls().n_unique() > 0
    second = run_cycle(runtime.uow, AS_OF, NOW + timedelta(hours=1))
    assert second.status == "already_completed" and _counts(runtime) == after_first
    assert _decisions(runtime).equals(expected)
    with runtime.engine.connect() as conn:
        payload = conn.execute(select(outbox_messages.c.payload, outbox_messages.c.scheduled_at,
                                      outbox_messages.c.status)).first()
    assert payload is not None and '"strategy_version": 1' in payload.payload and payload.status == "pending"
    assert payload.scheduled_at.date() == AS_OF


@pytest.mark.parametrize("fail_at", ["decided", "decisions_written", "outbox_written"])
def test_interrupted_run_completes_with_no_duplicate_and_no_missing_action(runtime: Runtime, fail_at: str) -> None:
    _setup(runtime)
    expected = _expected(runtime)

    def crash(point: str) -> None:
        if point == fail_at:
            raise RuntimeError(f"injected failure at {point}")

    with pytest.raises(RuntimeError, match="injected"):
        run_cycle(runtime.uow, AS_OF, NOW, checkpoint=crash)
    assert _counts(runtime)["cycle_decisions"] == 0 and _counts(runtime)["outbox_messages"] == 0
    with runtime.engine.connect() as conn:
        run = conn.execute(select(cycle_runs.c.status, cycle_runs.c.attempts)).one()
    assert run.status == "started"
    done = run_cycle(runtime.uow, AS_OF, NOW + timedelta(minutes=5))
    assert done.status == "completed"
    assert _decisions(runtime).equals(expected)
    with runtime.engine.connect() as conn:
        keys = conn.execute(text("SELECT message_key, count(*) FROM outbox_messages GROUP BY message_key")).all()
        attempts = conn.execute(select(cycle_runs.c.attempts)).scalar_one()
    assert keys and all(n == 1 for _, n in keys) and attempts == 2
    assert len(keys) == expected["message_key"].drop_nulls().n_unique()


@pytest.mark.parametrize("fail_at", ["records_committed", "audit_committed"])
def test_a_run_interrupted_between_its_commits_is_completed_by_the_rerun(runtime: Runtime, fail_at: str) -> None:
    """PostgreSQL commits the records, then the audit records, then the outbox rows and completion: an
    interruption between the commits leaves decisions (and perhaps their audit records) without messages,
    and the rerun adds exactly what is missing: the messages, naming the stored decisions, and the audit
    records not stored yet, none twice. SQLite writes everything in one transaction: there is no such
    moment to interrupt."""
    _setup(runtime)
    expected = _expected(runtime)

    def crash(point: str) -> None:
        if point == fail_at:
            raise RuntimeError("injected failure between the commits")

    concurrent = runtime.engine.dialect.name == "postgresql"
    if not concurrent:
        assert run_cycle(runtime.uow, AS_OF, NOW, checkpoint=crash).status == "completed"
        assert _counts(runtime)["outbox_messages"] == expected["message_key"].drop_nulls().n_unique()
        return
    with pytest.raises(RuntimeError, match="between the commits"):
        run_cycle(runtime.uow, AS_OF, NOW, checkpoint=crash)
    counts = _counts(runtime)
    assert counts["cycle_decisions"] == expected.height and counts["outbox_messages"] == 0
    with runtime.engine.connect() as conn:
        run = conn.execute(select(cycle_runs.c.status, cycle_runs.c.last_error)).one()
        audit = conn.execute(select(func.count()).select_from(guard_audit_records)).scalar_one()
    assert run.status == "started" and "between the commits" in run.last_error
    assert (audit > 0) == (fail_at == "audit_committed")
    assert run_cycle(runtime.uow, AS_OF, NOW + timedelta(minutes=5)).status == "completed"
    with runtime.engine.connect() as conn:
        rerun_audit = conn.execute(select(guard_audit_records.c.decision_id)).scalars().all()
    assert len(rerun_audit) == len(set(rerun_audit)) > 0 and verify_chain(runtime).ok
    assert audit in (0, len(rerun_audit))
    after = _counts(runtime)
    assert after["cycle_decisions"] == expected.height
    assert after["outbox_messages"] == expected["message_key"].drop_nulls().n_unique()
    assert after["ladder_progress"] == counts["ladder_progress"] > 0
    assert after["experiment_assignments"] == counts["experiment_assignments"] > 0  # the rerun's inputs held them
    assert _decisions(runtime).equals(expected)
    with runtime.engine.connect() as conn:
        ids = dict(conn.execute(select(cycle_decisions.c.message_key, cycle_decisions.c.id).where(
            cycle_decisions.c.decision == "contact")).all())
        sent = conn.execute(select(outbox_messages.c.message_key, outbox_messages.c.decision_id,
                                   outbox_messages.c.payload)).all()
    assert sent and all(ids[row.message_key] == row.decision_id for row in sent)
    assert all(json.loads(row.payload)["decision_id"] == row.decision_id for row in sent)
    assert verify_chain(runtime).ok and verify_chain(runtime).checked == len(sent) + _blocked(runtime)


def _blocked(runtime: Runtime) -> int:
    """Contacts the guard blocked: audited, but without an outbox row."""
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(guard_audit_records).where(
            guard_audit_records.c.outcome == "blocked")).scalar_one()


@pytest.mark.parametrize("fail_at", ["decisions_written", "audit_written", "outbox_written"])
def test_the_failing_side_is_the_error_reported(runtime: Runtime, fail_at: str) -> None:
    """Whichever part of the write fails first, its error (not the other part's rollback) is raised and
    recorded on the run, and nothing of either part is stored."""
    _setup(runtime, n=40)

    def crash(point: str) -> None:
        if point == fail_at:
            raise ValueError(f"root cause at {point}")

    with pytest.raises(ValueError, match=f"root cause at {fail_at}"):
        run_cycle(runtime.uow, AS_OF, NOW, checkpoint=crash)
    with runtime.engine.connect() as conn:
        error = conn.execute(select(cycle_runs.c.last_error)).scalar_one()
        audit = conn.execute(select(func.count()).select_from(guard_audit_records)).scalar_one()
    assert error == f"ValueError: root cause at {fail_at}"
    assert set(_counts(runtime).values()) == {0} and audit == 0


@pytest.mark.parametrize("fail_in", ["audit_records", "decisions_written"])
def test_a_failure_while_rows_are_staged_ahead_leaves_nothing(runtime: Runtime, fail_in: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are made ready on helper threads while others go in (on SQLite, staged in files): whether the
    helper fails (building the audit records) or the writer does, its error is the one reported, nothing is
    stored and no staging file is left behind."""
    _setup(runtime, n=40)
    monkeypatch.setattr(bulk, "_STAGED_ROWS", 1)  # every insert of the write goes through a staging file
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def broken(*_: object) -> pl.DataFrame:
        raise ValueError("root cause in audit_records")

    def crash(point: str) -> None:
        if point == fail_in:
            raise ValueError(f"root cause in {point}")

    if fail_in == "audit_records":
        monkeypatch.setattr(cycle_write, "cycle_audit_frame", broken)
    with pytest.raises(ValueError, match=f"root cause in {fail_in}"):
        run_cycle(runtime.uow, AS_OF, NOW, checkpoint=crash)
    with runtime.engine.connect() as conn:
        error = conn.execute(select(cycle_runs.c.last_error)).scalar_one()
        audit = conn.execute(select(func.count()).select_from(guard_audit_records)).scalar_one()
    assert error == f"ValueError: root cause in {fail_in}"
    assert set(_counts(runtime).values()) == {0} and audit == 0
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert run_cycle(runtime.uow, AS_OF, NOW).status == "completed" and _counts(runtime)["outbox_messages"] > 0


def test_next_night_builds_on_the_progress_of_the_first(runtime: Runtime) -> None:
    _setup(runtime)
    run_cycle(runtime.uow, AS_OF, NOW)
    nxt = AS_OF + timedelta(days=1)
    run_cycle(runtime.uow, nxt, NOW + timedelta(days=1))
    day1, day2 = _decisions(runtime), _decisions(runtime, nxt)
    both = day1.join(day2, on="debt_id", suffix="_2").filter(
        pl.col("decision").is_in(["contact", "grouped"]) & pl.col("decision_2").is_in(["contact", "grouped"]))
    assert both.height > 0
    # a step tried yesterday is only repeated through its own max_attempts/cooldown, never advanced again
    with runtime.engine.connect() as conn:
        reasons = dict(conn.execute(select(cycle_decisions.c.debt_id, cycle_decisions.c.reason_codes)
                                    .where(cycle_decisions.c.as_of == nxt)).all())
    same = both.filter(pl.col("step_id") == pl.col("step_id_2"))
    assert all("STEP_ADVANCE" not in reasons[d] for d in same["debt_id"].to_list())
    assert _counts(runtime)["ladder_progress"] > 0


def test_explain_agrees_with_the_stored_decisions(runtime: Runtime) -> None:
    _setup(runtime, n=60)
    run_cycle(runtime.uow, AS_OF, NOW)
    with runtime.engine.connect() as conn:
        stored = conn.execute(select(cycle_decisions).order_by(cycle_decisions.c.debt_id)).mappings().all()
    for row in stored[::3]:
        ex = explain_debt(runtime.uow, row["debt_id"], AS_OF)
        assert (ex["decision"], ex["step"], ex["segment"], ex["arm"], ",".join(ex["reasons"])) == (
            row["decision"], row["step_id"], row["segment"], row["arm"], row["reason_codes"])
        assert ex["steps"] or row["decision"] in ("hold", "no_action", "control")


def test_dry_run_writes_nothing_and_reports_the_difference(runtime: Runtime) -> None:
    _setup(runtime)
    before = _counts(runtime)
    text_ = (STRATEGIES / "consumer_card.yaml").read_text().replace("version: 1", "version: 2") \
        .replace("dpd: 10, max_attempts: 3", "dpd: 3, max_attempts: 3")
    result = dry_run(runtime.uow, parse_strategy(text_, "candidate.yaml"), AS_OF)
    assert _counts(runtime) == before
    assert result.changed_debts > 0 and result.diff.height > 0
    assert result.candidate["n"].sum() == result.live["n"].sum() == 150


def test_registry_keeps_versions_by_hash(runtime: Runtime) -> None:
    path = STRATEGIES / "b2b_invoices.yaml"
    a = add_strategy(runtime.uow, path.read_text(), str(path), NOW)
    b = add_strategy(runtime.uow, path.read_text(), str(path), NOW)
    assert a.sha256 == b.sha256 and len(list_strategies(runtime.uow)) == 1
    with pytest.raises(Conflict):
        add_strategy(runtime.uow, path.read_text() + "\n# changed\n", str(path), NOW)


def test_inputs_load_the_same_values_on_every_database(runtime: Runtime) -> None:
    _setup(runtime, n=80)
    with runtime.uow() as uow:
        inputs, _ = load_and_score(uow, AS_OF)
    events = inputs.frames["contact_events"]
    assert events.height == 240 and events["at"].null_count() == 0
    assert events["at"].max() < datetime(2026, 12, 1, tzinfo=UTC) and events["right_party"].sum() > 0
    debts = inputs.frames["debts"]
    assert debts.height == 80 and inputs.frames["ledger_entries"]["effective_date"].null_count() == 0
    out = decide(inputs, [compile_strategy(parse_strategy((STRATEGIES / "consumer_card.yaml").read_text()).strategy)],
                 AS_OF, keep_features=True)
    assert out.features is not None and out.features["attempts_sms_30d"].sum() > 0

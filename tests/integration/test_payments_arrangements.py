"""Promises, plans, settlements and holds through their services on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from payments_factories import NOW, count, debt_status, ledger_total, make_customer, make_debt
from sqlalchemy import insert, select

from cupx.adapters.tables.core import ledger_entries
from cupx.adapters.tables.payments import arrangement_events, debt_reagings, promises
from cupx.bootstrap import Runtime
from cupx.domain.errors import PolicyViolation
from cupx.domain.hardship import HoldKind
from cupx.domain.plans import Frequency
from cupx.services.hardship import StartHold, end_expired_holds, paused_debt_ids, start_hold
from cupx.services.payment_ports import PlanStore
from cupx.services.payments import PostPayment, post_payment
from cupx.services.plans import CreatePlan, RecordStatement, create_plan, process_plan_instalments, record_statement
from cupx.services.promises import MakePromise, make_promise, resolve_promises
from cupx.services.settlements import ApproveSettlement, RequestSettlement, approve_settlement, request_settlement

TODAY = NOW.date()


def _pay(runtime: Runtime, amount: int, key: str, on: date = TODAY, **target: int) -> None:
    received = NOW + timedelta(days=(on - TODAY).days)
    with runtime.uow() as uow:
        post_payment(uow, PostPayment(amount_minor=amount, currency="USD", received_at=received, idempotency_key=key,
                                      now=received, **target))  # type: ignore[arg-type]


def test_promises_resolve_in_bulk_with_grace_and_tolerance(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 50_000)
    other = make_customer(runtime)
    make_debt(runtime, other, 50_000)
    due = TODAY + timedelta(days=5)
    with runtime.uow() as uow:
        kept = make_promise(uow, MakePromise(cid, 10_000, "USD", due, debt_id=did, now=NOW))["id"]
    with runtime.uow() as uow:
        broken = make_promise(uow, MakePromise(other, 10_000, "USD", due, now=NOW))["id"]
    _pay(runtime, 9_600, "pr-1", TODAY + timedelta(days=6), debt_id=did)  # 4 % short, one day late: within grace
    _pay(runtime, 2_000, "pr-2", TODAY + timedelta(days=2), customer_id=other)
    with runtime.uow() as uow:
        assert resolve_promises(uow, due + timedelta(days=3), now=NOW) == {"pending": 2, "kept": 1, "broken": 0}
    with runtime.uow() as uow:
        assert resolve_promises(uow, due + timedelta(days=4), now=NOW) == {"pending": 1, "kept": 0, "broken": 1}
    with runtime.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(promises))}
    assert rows[kept].status == "kept" and rows[kept].paid_minor == 9_600
    assert rows[broken].status == "broken" and rows[broken].queue_status == "open" and rows[broken].paid_minor == 2_000
    assert count(runtime, arrangement_events, arrangement_events.c.event_type == "PromiseBroken") == 1


def test_plan_is_fed_by_payments_misses_and_breaks(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 30_000)
    first = TODAY + timedelta(days=1)
    with runtime.uow() as uow:
        record = create_plan(uow, CreatePlan(cid, None, "USD", Frequency.MONTHLY, 3, first, now=NOW))
    assert debt_status(runtime, did) == "in_arrangement"
    _pay(runtime, 10_000, "pl-1", first, customer_id=cid)
    with runtime.uow() as uow:
        process_plan_instalments(uow, first + timedelta(days=40), now=NOW)  # second instalment missed: appended
        plan = uow[PlanStore].get(record.plan.id).plan
    assert [i.status for i in plan.instalments] == ["paid", "missed", "due", "deferred"]
    with runtime.uow() as uow:
        counts = process_plan_instalments(uow, first + timedelta(days=70), now=NOW)
    assert counts["broken"] == 1 and debt_status(runtime, did) == "delinquent"


def test_completed_plan_resolves_the_debt(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 20_000)
    first = TODAY + timedelta(days=1)
    with runtime.uow() as uow:
        create_plan(uow, CreatePlan(cid, None, "USD", Frequency.WEEKLY, 2, first, debt_id=did, freeze_interest=True,
                                    now=NOW))
    with runtime.uow() as uow:
        assert paused_debt_ids(uow, first, interest=True) == {did} and paused_debt_ids(uow, first) == set()
    _pay(runtime, 10_000, "cp-1", first, debt_id=did)
    _pay(runtime, 10_000, "cp-2", first + timedelta(days=7), debt_id=did)
    assert debt_status(runtime, did) == "resolved_paid"
    with runtime.uow() as uow:
        assert uow[PlanStore].list(customer_id=cid)[0].plan.status == "completed"


def test_unaffordable_plan_is_refused_with_offers_and_writes_nothing(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    make_debt(runtime, cid, 60_000)
    with runtime.uow() as uow:
        record_statement(uow, RecordStatement(cid, "USD", {"pay": 200_000}, {"rent": 195_000}, TODAY, now=NOW))
    with runtime.uow() as uow, pytest.raises(PolicyViolation) as err:
        create_plan(uow, CreatePlan(cid, None, "USD", Frequency.MONTHLY, 6, TODAY + timedelta(days=3), now=NOW))
    offers = err.value.details["affordable_plans"]
    assert offers and all(o["instalment_minor"] <= 5_000 * 12 // {"weekly": 52, "fortnightly": 26, "monthly": 12}[
        o["frequency"]] for o in offers)
    with runtime.uow() as uow:
        assert uow[PlanStore].list(customer_id=cid) == []


def test_reageing_is_recorded(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 40_000)
    first = TODAY + timedelta(days=1)
    with runtime.uow() as uow:
        create_plan(uow, CreatePlan(cid, None, "USD", Frequency.WEEKLY, 4, first, now=NOW))
    for week in range(3):
        _pay(runtime, 10_000, f"ra-{week}", first + timedelta(days=7 * week), customer_id=cid)
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(debt_reagings)).all()
    assert [(r.debt_id, r.on_time_payments) for r in rows] == [(did, 3)]


def test_settlement_approval_completion_writes_off_the_rest(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 100_000)
    first = TODAY + timedelta(days=2)
    with runtime.uow() as uow:
        record = request_settlement(uow, RequestSettlement(did, 70_000, "USD", first, 2, Frequency.FORTNIGHTLY,
                                                           actor="agent1", role="agent", now=NOW))
    assert record.plan.status == "pending_approval" and record.discount_bp == 3_000
    with runtime.uow() as uow:
        approved = approve_settlement(uow, ApproveSettlement(record.plan.id, "boss", "manager", now=NOW))
    assert approved.plan.status == "active" and Path(str(approved.letter_path)).read_bytes().startswith(b"%PDF")
    _pay(runtime, 35_000, "st-1", first, debt_id=did)
    _pay(runtime, 35_000, "st-2", first + timedelta(days=14), debt_id=did)
    assert debt_status(runtime, did) == "resolved_settled" and ledger_total(runtime, did) == 0
    with runtime.engine.connect() as conn:
        write_off = conn.execute(select(ledger_entries).where(ledger_entries.c.kind == "write_off")).one()
    assert write_off.amount_minor == 30_000 and write_off.source == "settlement"


def test_breathing_space_holds_pauses_and_ends(runtime: Runtime) -> None:
    cid = make_customer(runtime, flags="vulnerable")
    did = make_debt(runtime, cid, 10_000)
    with runtime.uow() as uow:
        hold = start_hold(uow, StartHold(cid, "mental health crisis", TODAY, now=NOW))
    assert debt_status(runtime, did) == "hardship_hold"
    with runtime.uow() as uow:
        assert paused_debt_ids(uow, TODAY + timedelta(days=59), interest=True) == {did}
        assert paused_debt_ids(uow, TODAY + timedelta(days=60)) == set()
    with runtime.uow() as uow:
        assert end_expired_holds(uow, date.fromisoformat(hold["ends_on"]), now=NOW) == {"ended": 0}
    with runtime.uow() as uow:
        assert end_expired_holds(uow, TODAY + timedelta(days=60), now=NOW) == {"ended": 1}
    assert debt_status(runtime, did) == "delinquent"


def test_many_promises_resolve_in_one_batch(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    make_debt(runtime, cid, 10_000)
    with runtime.engine.begin() as conn:
        conn.execute(insert(promises), [{"customer_id": cid, "amount_minor": 100, "currency": "USD",
                                         "promised_on": TODAY, "created_at": NOW} for _ in range(1_200)])
    with runtime.uow() as uow:
        assert resolve_promises(uow, TODAY + timedelta(days=10), now=NOW)["broken"] == 1_200
    assert count(runtime, promises, promises.c.queue_status == "open") == 1_200
    assert count(runtime, arrangement_events, arrangement_events.c.event_type == "PromiseBroken") == 1_200


def test_hold_ending_returns_a_planned_debt_to_its_arrangement(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 30_000)
    with runtime.uow() as uow:
        create_plan(uow, CreatePlan(cid, None, "USD", Frequency.MONTHLY, 3, TODAY + timedelta(days=1), now=NOW))
    with runtime.uow() as uow:
        start_hold(uow, StartHold(cid, "illness", TODAY, days=10, kind=HoldKind.PAYMENT_HOLIDAY, now=NOW))
    assert debt_status(runtime, did) == "hardship_hold"
    with runtime.uow() as uow:
        assert process_plan_instalments(uow, TODAY + timedelta(days=10), now=NOW)["missed"] == 0  # deferred
        assert uow[PlanStore].list(customer_id=cid)[0].plan.instalments[0].due_on == TODAY + timedelta(days=11)
    with runtime.uow() as uow:
        assert end_expired_holds(uow, TODAY + timedelta(days=10), now=NOW) == {"ended": 1}
    assert debt_status(runtime, did) == "in_arrangement"

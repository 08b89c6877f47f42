"""Disputes on both databases: record (case, event, outbox), verification, resolution, bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from payments_factories import NOW, count, debt_status, make_customer, make_debt
from sqlalchemy import insert, select

from cupx.adapters.tables.core import case_status_changes, contact_events, outbox_messages
from cupx.bootstrap import Runtime
from cupx.domain.errors import Conflict, NotFound, ValidationError
from cupx.services.disputes import (
    RecordDispute,
    ResolveDispute,
    SendVerification,
    record_dispute,
    resolve_dispute,
    send_verification,
)


def _message(runtime: Runtime, customer_id: int, debt_ids: list[int], key: str, source: str = "cycle") -> int:
    with runtime.engine.begin() as conn:
        return int(conn.execute(insert(outbox_messages).values(
            message_key=key, customer_id=customer_id, debt_ids=json.dumps(debt_ids), channel="sms",
            template_id="reminder", scheduled_at=NOW + timedelta(hours=2), status="pending", source=source,
            created_at=NOW)).inserted_primary_key[0])


def _status_of(runtime: Runtime, message_id: int) -> tuple[str, str | None]:
    with runtime.engine.connect() as conn:
        r = conn.execute(select(outbox_messages.c.status, outbox_messages.c.last_error)
                         .where(outbox_messages.c.id == message_id)).one()
    return r.status, r.last_error


def _record(runtime: Runtime, debt_id: int = 0, **kw: object) -> object:
    args: dict[str, object] = {"debt_id": debt_id, "received_at": NOW, "written": True, "medium": "letter",
                               "grounds": "not my debt", "submitted_at": NOW - timedelta(days=2), "actor": "agent1"}
    args.update(kw)
    with runtime.uow() as uow:
        return record_dispute(uow, RecordDispute(**args))  # type: ignore[arg-type]


def _events(runtime: Runtime, debt_id: int) -> list[tuple[str, dict[str, object]]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(contact_events.c.type, contact_events.c.payload, contact_events.c.debt_ids)
                            .where(contact_events.c.debt_id == debt_id).order_by(contact_events.c.id)).all()
    assert all(json.loads(r.debt_ids) == [debt_id] for r in rows)
    return [(r.type, json.loads(r.payload)) for r in rows]


def test_record_disputes_the_case_writes_the_event_and_cancels_pending_collection(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    d1, d2 = make_debt(runtime, cid), make_debt(runtime, cid)
    only_d1 = _message(runtime, cid, [d1], "cycle:a")
    both = _message(runtime, cid, [d1, d2], "cycle:b")
    other = _message(runtime, cid, [d2], "cycle:c")
    confirmation = _message(runtime, cid, [d1], "payment:1:confirmation", source="payment")

    result = _record(runtime, d1)

    assert result.to_dict() == {"debt_id": d1, "customer_id": cid, "status": "disputed",  # type: ignore[attr-defined]
                                "cancelled_messages": 1}
    assert debt_status(runtime, d1) == "disputed" and debt_status(runtime, d2) == "delinquent"
    assert _events(runtime, d1) == [("dispute", {"written": True, "medium": "letter", "grounds": "not my debt",
                                                 "submitted_at": (NOW - timedelta(days=2)).isoformat()})]
    assert _status_of(runtime, only_d1) == ("cancelled", "dispute")
    assert _status_of(runtime, both)[0] == "pending"  # d2 is still collectable
    assert _status_of(runtime, other)[0] == "pending"
    assert _status_of(runtime, confirmation)[0] == "pending"
    with runtime.engine.connect() as conn:
        moves = conn.execute(select(case_status_changes.c.from_status, case_status_changes.c.to_status,
                                    case_status_changes.c.actor)
                             .where(case_status_changes.c.debt_id == d1)).all()
    assert [tuple(m) for m in moves] == [("delinquent", "disputed", "agent1")]

    # Disputing the second debt too: now the shared message concerns only disputed debts.
    _record(runtime, d2, written=False, medium="telephone_call", submitted_at=None)
    assert _status_of(runtime, both) == ("cancelled", "dispute")
    assert _status_of(runtime, other) == ("cancelled", "dispute")
    assert _events(runtime, d2)[0][1]["written"] is False


def test_verification_then_not_upheld_returns_to_delinquent(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    debt = make_debt(runtime, cid)
    _record(runtime, debt)
    with runtime.uow() as uow, pytest.raises(Conflict) as no_verification:
        resolve_dispute(uow, ResolveDispute(debt, False, NOW + timedelta(days=1), "agent1"))
    assert no_verification.value.field == "upheld"
    assert debt_status(runtime, debt) == "disputed"

    with runtime.uow() as uow:
        sent = send_verification(uow, SendVerification(debt, NOW + timedelta(days=3), "agent1"))
    assert sent.status == "disputed"
    with runtime.uow() as uow:
        done = resolve_dispute(uow, ResolveDispute(debt, False, NOW + timedelta(days=4), "agent1"))
    assert done.status == "delinquent" and debt_status(runtime, debt) == "delinquent"
    assert [t for t, _ in _events(runtime, debt)] == ["dispute", "verification_sent"]
    assert count(runtime, case_status_changes, case_status_changes.c.debt_id == debt) == 2
    # Collection resumed: a new dispute is possible and needs a new verification before resuming again.
    _record(runtime, debt, received_at=NOW + timedelta(days=10), submitted_at=None)
    with runtime.uow() as uow, pytest.raises(Conflict):
        resolve_dispute(uow, ResolveDispute(debt, False, NOW + timedelta(days=11), "agent1"))


def test_upheld_dispute_closes_the_case(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    debt = make_debt(runtime, cid)
    _record(runtime, debt)
    with runtime.uow() as uow:
        assert resolve_dispute(uow, ResolveDispute(debt, True, NOW + timedelta(days=2), "sup")).status == "closed"
    assert debt_status(runtime, debt) == "closed"
    with runtime.uow() as uow, pytest.raises(Conflict):
        send_verification(uow, SendVerification(debt, NOW + timedelta(days=3), "sup"))


@pytest.mark.parametrize(("change", "error", "field"), [
    ({"received_at": datetime(2026, 6, 1, 12)}, ValidationError, "received_at"),
    ({"submitted_at": datetime(2026, 5, 30)}, ValidationError, "submitted_at"),
    ({"submitted_at": NOW + timedelta(hours=1)}, ValidationError, "submitted_at"),
    ({"written": "yes"}, ValidationError, "written"),
    ({"medium": ""}, ValidationError, "medium"),
    ({"medium": "telephone_call"}, ValidationError, "medium"),  # written but oral
    ({"grounds": "  "}, ValidationError, "grounds"),
    ({"actor": ""}, ValidationError, "actor"),
    ({"debt_id": 0}, ValidationError, "debt_id"),
    ({"debt_id": 987_654_321}, NotFound, "debt_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(runtime: Runtime, change: dict[str, object],
                                                      error: type[Exception], field: str) -> None:
    cid = make_customer(runtime)
    debt = make_debt(runtime, cid)
    message = _message(runtime, cid, [debt], "cycle:bad")
    with pytest.raises(error) as caught:
        _record(runtime, **{"debt_id": debt, **change})
    assert caught.value.field == field  # type: ignore[attr-defined]
    assert debt_status(runtime, debt) == "delinquent"
    assert count(runtime, contact_events) == 0 and count(runtime, case_status_changes) == 0
    assert _status_of(runtime, message)[0] == "pending"


def test_a_second_dispute_is_a_conflict_and_writes_nothing(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    debt = make_debt(runtime, cid)
    _record(runtime, debt)
    with pytest.raises(Conflict) as caught:
        _record(runtime, debt, received_at=NOW + timedelta(days=1))
    assert caught.value.field == "debt_id"
    assert count(runtime, contact_events) == 1 and count(runtime, case_status_changes) == 1


def test_naive_instants_refused_for_verification_and_resolution(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    debt = make_debt(runtime, cid)
    _record(runtime, debt)
    with runtime.uow() as uow, pytest.raises(ValidationError) as v:
        send_verification(uow, SendVerification(debt, datetime(2026, 6, 2), "a"))
    assert v.value.field == "sent_at"
    with runtime.uow() as uow, pytest.raises(ValidationError) as r:
        resolve_dispute(uow, ResolveDispute(debt, True, datetime(2026, 6, 2), "a"))
    assert r.value.field == "at"
    assert count(runtime, contact_events) == 1 and debt_status(runtime, debt) == "disputed"


def test_cli_record_verify_resolve(runtime: Runtime, db_url: str) -> None:
    from typer.testing import CliRunner

    from cupx.entrypoints.cli import app

    cid = make_customer(runtime)
    debt = str(make_debt(runtime, cid))
    cli, env = CliRunner(), {"CUPX_DATABASE_URL": db_url, "CUPX_ENVIRONMENT": "test"}
    naive = cli.invoke(app, ["dispute", "record", "--debt-id", debt, "--grounds", "not mine",
                             "--received-at", "2026-06-01T12:00:00"], env=env)
    assert naive.exit_code == 2 and "received_at" in naive.output
    rec = cli.invoke(app, ["dispute", "record", "--debt-id", debt, "--grounds", "not mine", "--oral",
                           "--medium", "telephone_call", "--received-at", "2026-06-01T12:00:00+00:00"], env=env)
    assert rec.exit_code == 0, rec.output
    assert json.loads(rec.output)["status"] == "disputed"
    ver = cli.invoke(app, ["dispute", "verify", "--debt-id", debt, "--sent-at", "2026-06-02T12:00:00Z"], env=env)
    assert ver.exit_code == 0, ver.output
    res = cli.invoke(app, ["dispute", "resolve", "--debt-id", debt, "--not-upheld", "--at", "2026-06-03T12:00:00Z"],
                     env=env)
    assert res.exit_code == 0 and json.loads(res.output)["status"] == "delinquent", res.output
    assert debt_status(runtime, int(debt)) == "delinquent"


def test_simulated_dispute_goes_through_the_service(runtime: Runtime) -> None:
    from cupx.sim.hooks import Inbound
    from cupx.sim.responses import Action

    cid = make_customer(runtime)
    d1, d2 = make_debt(runtime, cid), make_debt(runtime, cid)
    paid = make_debt(runtime, cid, status="resolved_paid")
    pending = _message(runtime, cid, [d1, d2], "cycle:sim")
    inbound = Inbound(runtime, {})
    action = Action("dispute", cid, 0, "USD", NOW, f"sim:{NOW.date()}:{cid}:dispute", "portal")
    inbound.handlers()["dispute"](None, action)
    assert inbound.flush({cid: "C-x"}, NOW.date()) == 2
    assert [debt_status(runtime, d) for d in (d1, d2, paid)] == ["disputed", "disputed", "resolved_paid"]
    assert [t for t, _ in _events(runtime, d1)] == ["dispute"] and _events(runtime, d2)[0][1]["medium"] == "portal"
    assert _status_of(runtime, pending) == ("cancelled", "dispute")
    inbound.handlers()["dispute"](None, action)  # a rerun of the day disputes nothing twice
    assert inbound.flush({cid: "C-x"}, NOW.date()) == 0
    assert count(runtime, contact_events) == 2

"""The payments and arrangements API over HTTP: posting, idempotency, bad input, webhooks, plans,
settlement approval, breathing space. Runs on SQLite and PostgreSQL through the `runtime` fixture."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from cupx.adapters.tables.core import customer_emails, customers, debts, ledger_entries
from cupx.adapters.tables.payments import payment_plans, payments
from cupx.bootstrap import Runtime
from cupx.entrypoints.api.routes.payment_webhooks import sign

NOW = datetime.now(UTC)
_serial = itertools.count(1)
Client = Callable[..., TestClient]


def _customer_with_debt(runtime: Runtime, balance: int = 10_000, currency: str = "USD") -> tuple[int, int]:
    n = next(_serial)
    with runtime.engine.begin() as conn:
        cid = conn.execute(insert(customers).values(
            external_id=f"EC{n}", name_enc=runtime.cipher.encrypt("A B"), row_hash="x", created_at=NOW,
            updated_at=NOW)).inserted_primary_key[0]
        conn.execute(insert(customer_emails).values(customer_id=cid, address_enc=runtime.cipher.encrypt("a@b.co"),
                                                    address_hash=f"h{n}"))
        did = conn.execute(insert(debts).values(external_id=f"ED{n}", customer_id=cid, creditor="Acme",
                                                product="credit_card", currency=currency, original_minor=balance,
                                                status="delinquent", row_hash="x", created_at=NOW,
                                                updated_at=NOW)).inserted_primary_key[0]
        conn.execute(insert(ledger_entries).values(debt_id=did, kind="charge", amount_minor=balance, currency=currency,
                                                   effective_date=date(2025, 1, 1), posted_at=NOW, source="import"))
    return int(cid), int(did)


def _count(runtime: Runtime, table: object) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)  # type: ignore[arg-type]


def _payment(debt_id: int, amount: int = 2_500, **kw: object) -> dict[str, object]:
    return {"debt_id": debt_id, "amount_minor": amount, "currency": "USD", "received_at": NOW.isoformat(),
            "method": "card", "reference": "r1", **kw}


def test_post_payment_is_idempotent(runtime: Runtime, client_for: Client) -> None:
    agent = client_for("agent")
    _cid, did = _customer_with_debt(runtime)
    first = agent.post("/api/v1/payments", json=_payment(did), headers={"Idempotency-Key": "p-1"})
    assert first.status_code == 201, first.text
    assert first.json()["allocation"] == {str(did): 2_500}
    again = agent.post("/api/v1/payments", json=_payment(did), headers={"Idempotency-Key": "p-1"})
    assert again.status_code == 201 and again.json() == first.json()
    other = agent.post("/api/v1/payments", json=_payment(did, 100), headers={"Idempotency-Key": "p-1"})
    assert other.status_code == 409
    assert _count(runtime, payments) == 1


def test_bad_input_is_4xx_with_field_and_writes_nothing(runtime: Runtime, client_for: Client) -> None:
    agent = client_for("agent")
    _cid, did = _customer_with_debt(runtime)
    cases = [
        (_payment(did, -5), "amount_minor", 422),
        (_payment(did, currency="EUR"), "currency", 422),
        (_payment(999_999), "debt_id", 404),
        (_payment(did, allocation={str(did): 99_999}), f"allocation.{did}", 422),
    ]
    for body, field, status in cases:
        resp = agent.post("/api/v1/payments", json=body, headers={"Idempotency-Key": f"bad-{field}"})
        assert resp.status_code == status, resp.text
        assert resp.json()["error"]["field"] == field
    assert _count(runtime, payments) == 0 and _count(runtime, ledger_entries) == 1


def test_auditor_cannot_post_payments(runtime: Runtime, client_for: Client) -> None:
    _cid, did = _customer_with_debt(runtime)
    assert client_for("auditor").post("/api/v1/payments", json=_payment(did)).status_code == 403


def test_reversal_endpoint(runtime: Runtime, client_for: Client) -> None:
    agent = client_for("agent")
    _cid, did = _customer_with_debt(runtime, 2_500)
    paid = agent.post("/api/v1/payments", json=_payment(did), headers={"Idempotency-Key": "rv"}).json()
    resp = agent.post(f"/api/v1/payments/{paid['payment_id']}/reversal", json={"reason": "NSF", "kind": "returned"})
    assert resp.status_code == 200 and resp.json()["reopened_debt_ids"] == [did]
    again = agent.post(f"/api/v1/payments/{paid['payment_id']}/reversal", json={"reason": "NSF"})
    assert again.status_code == 409


def _event(event_id: str, debt_id: int, object_id: str, type_: str = "payment_intent.succeeded") -> bytes:
    return json.dumps({"id": event_id, "type": type_, "data": {"object": {
        "id": object_id, "amount": 1_000, "currency": "usd", "created": int(NOW.timestamp()),
        "metadata": {"debt_id": str(debt_id)}}}}).encode()


def test_webhook_signature_tolerance_and_replay(runtime: Runtime, anon_client: TestClient) -> None:
    _cid, did = _customer_with_debt(runtime)
    secret = runtime.settings.payment_webhook_secret
    body = _event("evt_1", did, "pi_1")
    url = "/api/v1/webhooks/payments"

    def post(payload: bytes, header: str) -> int:
        return anon_client.post(url, content=payload, headers={"Stripe-Signature": header,
                                                               "Content-Type": "application/json"}).status_code

    assert post(body, sign(body, "wrong-secret", int(time.time()))) == 401
    assert post(body, sign(body, secret, int(time.time()) - 301)) == 401
    assert post(body + b" ", sign(body, secret, int(time.time()))) == 401
    ok = anon_client.post(url, content=body, headers={"Stripe-Signature": sign(body, secret, int(time.time()))})
    assert ok.status_code == 200 and ok.json()["status"] == "processed", ok.text
    replay = anon_client.post(url, content=body, headers={"Stripe-Signature": sign(body, secret, int(time.time()))})
    assert replay.status_code == 200 and replay.json()["status"] == "ignored"
    assert _count(runtime, payments) == 1
    refund = _event("evt_2", did, "pi_1", "charge.refunded")
    resp = anon_client.post(url, content=refund, headers={"Stripe-Signature": sign(refund, secret, int(time.time()))})
    assert resp.status_code == 200 and resp.json()["payment"]["status"] == "reversed"


def test_plan_quote_create_and_policy(runtime: Runtime, client_for: Client) -> None:
    agent = client_for("agent")
    cid, did = _customer_with_debt(runtime, 120_000)
    first = (NOW.date() + timedelta(days=7)).isoformat()
    stmt = agent.post("/api/v1/ie-statements", json={"customer_id": cid, "currency": "USD",
                                                      "income": {"salary": 250_000}, "expenditure": {"rent": 240_000}})
    assert stmt.status_code == 201 and stmt.json()["disposable_minor"] == 10_000
    quote = agent.post("/api/v1/plans/quote", json={"customer_id": cid, "currency": "USD", "first_due_on": first})
    monthly = next(q for q in quote.json()["quotes"] if q["frequency"] == "monthly")
    assert monthly["instalment_count"] == 12 and monthly["instalment_minor"] == 10_000
    too_big = agent.post("/api/v1/plans", json={"customer_id": cid, "currency": "USD", "first_due_on": first,
                                                "frequency": "monthly", "instalment_count": 6})
    assert too_big.status_code == 422 and too_big.json()["error"]["details"]["affordable_plans"]
    below = agent.post("/api/v1/plans", json={"customer_id": cid, "currency": "USD", "first_due_on": first,
                                              "frequency": "weekly", "instalment_count": 200})
    assert below.status_code == 422 and below.json()["error"]["field"] == "instalment_count"
    assert _count(runtime, payment_plans) == 0
    made = agent.post("/api/v1/plans", json={"customer_id": cid, "currency": "USD", "first_due_on": first,
                                             "frequency": "monthly", "instalment_count": 12})
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["status"] == "active" and sum(i["amount_minor"] for i in plan["instalments"]) == 120_000
    assert agent.get(f"/api/v1/plans/{plan['id']}").json()["id"] == plan["id"]


def test_settlement_above_authority_waits_for_approval(runtime: Runtime, client_for: Client) -> None:
    agent, supervisor, manager = client_for("agent"), client_for("supervisor"), client_for("manager")
    _cid, did = _customer_with_debt(runtime, 100_000)
    first = (NOW.date() + timedelta(days=3)).isoformat()
    resp = agent.post("/api/v1/settlements", json={"debt_id": did, "amount_minor": 65_000, "currency": "USD",
                                                   "first_due_on": first})
    assert resp.status_code == 201 and resp.json()["status"] == "pending_approval"
    plan_id = resp.json()["id"]
    assert agent.get("/api/v1/settlements/approvals").status_code == 403
    assert [p["id"] for p in supervisor.get("/api/v1/settlements/approvals").json()] == [plan_id]
    assert supervisor.post(f"/api/v1/settlements/{plan_id}/approve").status_code == 403  # 35% > supervisor 25%
    approved = manager.post(f"/api/v1/settlements/{plan_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert approved.json()["letter_path"].endswith(".pdf")
    floor = agent.post("/api/v1/settlements", json={"debt_id": did, "amount_minor": 10_000, "currency": "USD",
                                                    "first_due_on": first})
    assert floor.status_code == 422 and floor.json()["error"]["field"] == "amount_minor"


def test_breathing_space_and_promise(runtime: Runtime, client_for: Client) -> None:
    agent = client_for("agent")
    cid, did = _customer_with_debt(runtime)
    hold = agent.post("/api/v1/hardship/breathing-space", json={"customer_id": cid, "reason": "job loss"})
    assert hold.status_code == 201
    start = date.fromisoformat(hold.json()["starts_on"])
    assert date.fromisoformat(hold.json()["ends_on"]) - start == timedelta(days=59)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(debts.c.status).where(debts.c.id == did)).scalar() == "hardship_hold"
    promise = agent.post("/api/v1/promises", json={"customer_id": cid, "amount_minor": 1_000, "currency": "USD",
                                                   "promised_on": (NOW.date() + timedelta(days=5)).isoformat()})
    assert promise.status_code == 201 and promise.json()["status"] == "pending"
    past = agent.post("/api/v1/promises", json={"customer_id": cid, "amount_minor": 1_000, "currency": "USD",
                                                "promised_on": "2020-01-01"})
    assert past.status_code == 422 and past.json()["error"]["field"] == "promised_on"


def test_vulnerability_flag_routes_to_trained_agents(runtime: Runtime, client_for: Client) -> None:
    agent = client_for("agent")
    cid, _did = _customer_with_debt(runtime)
    assert agent.get(f"/api/v1/hardship/routing/{cid}").json()["queue"] == "standard"
    flagged = agent.post("/api/v1/hardship/vulnerability", json={"customer_id": cid, "flag": "vulnerable"})
    assert flagged.status_code == 201 and flagged.json()["required_skill"] == "vulnerability"
    assert agent.get(f"/api/v1/hardship/routing/{cid}").json()["soften"] is True
    bad = agent.post("/api/v1/hardship/vulnerability", json={"customer_id": cid, "flag": "grumpy"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "flag"

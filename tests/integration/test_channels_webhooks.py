"""Provider webhooks and the unsubscribe link through the real app (FastAPI TestClient), both databases:
signatures are required, inbound STOP is recorded, receipts update status, bounces mark the address."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_dispatch_factories import dispatcher, enqueue, make_customer, make_debt, outbox

from cupx.adapters.tables.core import contact_events, customer_emails, customer_phones
from cupx.bootstrap import Runtime
from cupx.comms.signatures import twilio_signature
from cupx.entrypoints.api import create_app
from cupx.entrypoints.api.routes.comms_webhooks import sign_email_events
from cupx.services.inbound import unsubscribe_token

TOKEN = "twilio-auth-token"


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    runtime.settings.sms_auth_token = TOKEN
    return TestClient(create_app(runtime))


def _post_twilio(client: TestClient, runtime: Runtime, path: str, form: dict[str, str], *, good: bool = True) -> object:
    url = runtime.settings.public_base_url.rstrip("/") + path
    signature = twilio_signature(TOKEN if good else "wrong", url, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _phone(runtime: Runtime, customer_id: int) -> tuple[int, str, bool]:
    with runtime.engine.connect() as conn:
        r = conn.execute(select(customer_phones).where(customer_phones.c.customer_id == customer_id)).one()
    return r.id, runtime.cipher.decrypt(r.number_enc), r.opted_out


def test_inbound_stop_needs_a_valid_signature_and_is_recorded(runtime: Runtime, client: TestClient) -> None:
    cid = make_customer(runtime)
    _, number, _ = _phone(runtime, cid)
    form = {"From": number, "To": "+15005550006", "Body": "STOP", "MessageSid": "SMinbound1"}
    forged = _post_twilio(client, runtime, "/webhooks/sms/inbound", form, good=False)
    assert forged.status_code == 401 and not _phone(runtime, cid)[2]
    resp = _post_twilio(client, runtime, "/webhooks/sms/inbound", form)
    assert resp.status_code == 200 and "<Response>" in resp.text
    assert _phone(runtime, cid)[2]


def test_delivery_receipt_moves_sent_to_delivered(runtime: Runtime, client: TestClient) -> None:
    cid = make_customer(runtime)
    oid = enqueue(runtime, cid, [make_debt(runtime, cid)], "sms")
    dispatcher(runtime).run()
    sid = outbox(runtime, oid).provider_id
    resp = _post_twilio(client, runtime, "/webhooks/sms/status", {"MessageSid": sid, "MessageStatus": "delivered"})
    assert resp.json()["updated"] is True and outbox(runtime, oid).status == "delivered"
    again = _post_twilio(client, runtime, "/webhooks/sms/status", {"MessageSid": sid, "MessageStatus": "failed"})
    assert again.json()["updated"] is False  # delivered is final


def test_email_bounce_and_complaint_mark_the_address(runtime: Runtime, client: TestClient) -> None:
    bounced, complained = make_customer(runtime), make_customer(runtime)
    addresses = {}
    with runtime.engine.connect() as conn:
        for r in conn.execute(select(customer_emails)):
            addresses[r.customer_id] = runtime.cipher.decrypt(r.address_enc)
    body = json.dumps({"events": [{"type": "bounce", "email": addresses[bounced], "id": "ev1"},
                                  {"type": "complaint", "email": addresses[complained], "id": "ev2"}]}).encode()
    assert client.post("/webhooks/email/events", content=body, headers={"X-Cupx-Signature": "00"}).status_code == 401
    resp = client.post("/webhooks/email/events", content=body,
                       headers={"X-Cupx-Signature": sign_email_events(body, runtime.settings.secret_key)})
    assert resp.json() == {"received": 2, "applied": 2}
    with runtime.engine.connect() as conn:
        flags = {r.customer_id: (r.bounced, r.opted_out) for r in conn.execute(select(customer_emails))}
    assert flags[bounced] == (True, False) and flags[complained] == (False, True)


def test_unsubscribe_link_shows_a_page_then_one_click_post_opts_out(runtime: Runtime, client: TestClient) -> None:
    cid = make_customer(runtime)
    with runtime.engine.connect() as conn:
        email_id = conn.execute(select(customer_emails.c.id).where(customer_emails.c.customer_id == cid)).scalar()
    token = unsubscribe_token(runtime.settings.secret_key, email_id)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Unsubscribe" in page.text
    with runtime.engine.connect() as conn:
        assert not conn.execute(select(customer_emails.c.opted_out).where(customer_emails.c.id == email_id)).scalar()
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with runtime.engine.connect() as conn:
        assert conn.execute(select(customer_emails.c.opted_out).where(customer_emails.c.id == email_id)).scalar()
        assert conn.execute(select(contact_events.c.type).where(contact_events.c.customer_id == cid)).scalar() \
            == "electronic_opt_out"
    assert client.post("/unsubscribe/forged.token").status_code == 400
    # and the next email to that customer is not sent
    oid = enqueue(runtime, cid, [make_debt(runtime, cid)], "email")
    dispatcher(runtime).run()
    assert outbox(runtime, oid).status == "blocked"

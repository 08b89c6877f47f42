"""The dispatcher with the real compliance guard (contract C2) at send time: the local window,
opt-outs and cease notices that arrived after the cycle wrote the row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from test_dispatch_factories import NOW, dispatcher, enqueue, make_customer, make_debt, outbox, statuses

from cupx.adapters.channels.local_servers import SmsProviderServer
from cupx.adapters.channels.sms import HttpSmsSender
from cupx.adapters.tables.core import contact_events, customer_phones
from cupx.bootstrap import Runtime
from cupx.services.dispatch_guard import ComplianceGuard
from cupx.services.inbound import receive_sms

LATE = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)  # 22:00 in New York


def _sms(server: SmsProviderServer) -> HttpSmsSender:
    return HttpSmsSender(server.url, "ACtest", "secret", "+15005550006")


def test_outside_the_local_window_the_row_is_rescheduled_then_sent(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid)
    oid = enqueue(runtime, cid, [did], "sms", scheduled_at=LATE)
    with SmsProviderServer() as server:
        sender = _sms(server)
        report = dispatcher(runtime, {"sms": sender}, guard=ComplianceGuard(), now=LATE).run()
        row = outbox(runtime, oid)
        assert report.rescheduled == 1 and server.delivered == {}
        assert row.status == "pending" and "REGF_INCONVENIENT_TIME" in row.last_error
        local = row.scheduled_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
        assert (local.date().isoformat(), local.hour) == ("2026-06-03", 8)
        assert dispatcher(runtime, {"sms": sender}, guard=ComplianceGuard(), now=LATE + timedelta(hours=1)).run() \
            .claimed == 0
        report = dispatcher(runtime, {"sms": sender}, guard=ComplianceGuard(), now=row.scheduled_at).run()
        sender.close()
    assert report.sent == 1 and len(server.delivered) == 1


def test_stop_is_recorded_first_confirmed_once_and_nothing_else_goes_to_the_number(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid)
    reminder = enqueue(runtime, cid, [did], "sms")
    with runtime.engine.connect() as conn:
        phone_id = conn.execute(select(customer_phones.c.id).where(customer_phones.c.customer_id == cid)).scalar()
    number = runtime.cipher.decrypt(_phone_blob(runtime, phone_id))
    result = receive_sms(runtime, number, " Stop. ", provider_id="SMin1", now=NOW - timedelta(minutes=5))
    assert result.kind == "opt_out" and result.reply_queued
    assert receive_sms(runtime, number, "STOP", provider_id="SMin1", now=NOW).duplicate  # provider retry
    assert not receive_sms(runtime, number, "parar", provider_id="SMin2", now=NOW).reply_queued  # already out
    with runtime.engine.connect() as conn:
        assert conn.execute(select(customer_phones.c.opted_out).where(customer_phones.c.id == phone_id)).scalar()
        types = [r.type for r in conn.execute(select(contact_events.c.type))]
    assert types.count("electronic_opt_out") == 2 and "tcpa_revocation" in types
    with SmsProviderServer() as server:
        sender = _sms(server)
        dispatcher(runtime, {"sms": sender}, guard=ComplianceGuard()).run()
        sender.close()
    [form] = server.delivered.values()
    assert "no longer receive texts" in form["Body"]
    assert outbox(runtime, reminder).status == "blocked"
    assert statuses(runtime) == {"sent": 1, "blocked": 1}


def test_help_gets_the_help_reply(runtime: Runtime) -> None:
    cid = make_customer(runtime, language="es")
    make_debt(runtime, cid)
    number = _number_of(runtime, cid)
    assert receive_sms(runtime, number, "AYUDA", provider_id="SMh1", now=NOW).reply_queued
    with SmsProviderServer() as server:
        sender = _sms(server)
        dispatcher(runtime, {"sms": sender}, guard=ComplianceGuard()).run()
        sender.close()
    [form] = server.delivered.values()
    assert "para ayuda" in form["Body"] and "ALTO" in form["Body"]


def test_a_cease_notice_received_after_the_cycle_blocks_the_send(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid)
    oid = enqueue(runtime, cid, [did], "email")
    with runtime.engine.begin() as conn:
        conn.execute(insert(contact_events).values(
            customer_id=cid, type="cease_notice", at=NOW - timedelta(hours=1), debt_ids=json.dumps([did]),
            payload=json.dumps({"medium": "mail", "debt_ids": "all", "written": True})))
    report = dispatcher(runtime, guard=ComplianceGuard()).run()
    row = outbox(runtime, oid)
    assert report.blocked == 1 and row.status == "blocked" and "REGF_CEASE_COMMUNICATION" in row.last_error


def _phone_blob(runtime: Runtime, phone_id: int) -> bytes:
    with runtime.engine.connect() as conn:
        return bytes(conn.execute(select(customer_phones.c.number_enc).where(customer_phones.c.id == phone_id))
                     .scalar())


def _number_of(runtime: Runtime, customer_id: int) -> str:
    with runtime.engine.connect() as conn:
        blob = conn.execute(select(customer_phones.c.number_enc).where(customer_phones.c.customer_id == customer_id)
                            ).scalar()
    return runtime.cipher.decrypt(blob)

"""The dispatcher end to end on both databases: claim, render with required content, send through real
local servers (aiosmtpd, an HTTP SMS provider), record status, provider id and contact events."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from test_dispatch_factories import (
    NOW,
    dispatcher,
    enqueue,
    make_customer,
    make_debt,
    outbox,
    sent_events,
    statuses,
)

from cupx.adapters.channels.local_servers import SmsProviderServer, SmtpCapture
from cupx.adapters.channels.sms import HttpSmsSender
from cupx.adapters.channels.smtp import SmtpSender
from cupx.adapters.tables.comms import call_tasks
from cupx.bootstrap import Runtime


def test_email_and_sms_are_sent_once_with_required_content_and_recorded(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 12_345)
    email_id = enqueue(runtime, cid, [did], "email")
    sms_id = enqueue(runtime, cid, [did], "sms")
    with SmtpCapture() as smtp, SmsProviderServer() as sms:
        d = dispatcher(runtime, {
            "email": SmtpSender("127.0.0.1", smtp.port, mail_from="collections@cupx.example"),
            "sms": HttpSmsSender(sms.url, "ACtest", "secret", "+15005550006")})
        report = d.run()
        d.close()
    assert report.sent == 2 and report.failed == 0
    [mail] = smtp.messages
    text = mail.get_content()
    assert "$123.45" in text
    assert "This is an attempt to collect a debt" in text  # initial (e)(1) disclosure: first contact
    assert "/unsubscribe/" in text and str(mail["List-Unsubscribe"]).strip().startswith("<http")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [form] = sms.delivered.values()
    assert "Reply STOP" in form["Body"] and form["To"].startswith("+1212555")
    assert outbox(runtime, email_id).provider_id == mail["Message-ID"]
    assert outbox(runtime, sms_id).provider_id.startswith("SM")
    events = sent_events(runtime)
    assert sorted(e.type for e in events) == ["email_sent", "text_sent"]
    assert all(json.loads(e.debt_ids) == [did] for e in events)
    assert statuses(runtime) == {"sent": 2}
    # a second run finds nothing due and sends nothing
    assert d.run().claimed == 0


def test_second_contact_uses_the_subsequent_disclosure(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid)
    enqueue(runtime, cid, [did], "sms")
    later = NOW + timedelta(days=1)
    enqueue(runtime, cid, [did], "sms", scheduled_at=later)
    with SmsProviderServer() as sms:
        sender = HttpSmsSender(sms.url, "ACtest", "secret", "+15005550006")
        dispatcher(runtime, {"sms": sender}).run()
        dispatcher(runtime, {"sms": sender}, now=later).run()
        sender.close()
    first, second = (f["Body"] for f in sms.delivered.values())
    assert "attempt to collect a debt" in first
    assert "attempt to collect" not in second and "from a debt collector" in second


def test_spanish_customer_gets_spanish_text_with_spanish_money(runtime: Runtime) -> None:
    cid = make_customer(runtime, language="es")
    did = make_debt(runtime, cid, 100_050)
    enqueue(runtime, cid, [did], "sms", language="es")
    with SmsProviderServer() as sms:
        sender = HttpSmsSender(sms.url, "ACtest", "secret", "+15005550006")
        dispatcher(runtime, {"sms": sender}).run()
        sender.close()
    [form] = sms.delivered.values()
    assert "ALTO" in form["Body"] and "cobrador de deudas" in form["Body"] and "1,000.50" in form["Body"]


def test_call_task_goes_to_the_desk_with_a_script(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid)
    oid = enqueue(runtime, cid, [did], "call_task")
    report = dispatcher(runtime).run()
    assert report.sent == 1
    with runtime.engine.connect() as conn:
        [task] = conn.execute(select(call_tasks)).all()
    assert task.outbox_id == oid and task.status == "open" and "debt collector" in task.script
    assert sent_events(runtime) == []  # a task is not a contact; the agent's call will be


def test_no_usable_contact_point_blocks_with_a_reason(runtime: Runtime) -> None:
    cid = make_customer(runtime, phone=False)
    did = make_debt(runtime, cid)
    oid = enqueue(runtime, cid, [did], "sms")
    report = dispatcher(runtime).run()
    assert report.blocked == 1
    row = outbox(runtime, oid)
    assert row.status == "blocked" and row.last_error.startswith("NO_CONTACT_POINT")


def test_messages_not_yet_due_stay_pending(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid)
    oid = enqueue(runtime, cid, [did], "email", scheduled_at=NOW + timedelta(hours=1))
    assert dispatcher(runtime).run().claimed == 0
    assert outbox(runtime, oid).status == "pending"

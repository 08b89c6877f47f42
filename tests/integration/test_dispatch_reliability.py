"""Reliability of the dispatcher against real local servers, on both databases:
- the SMTP server is down, then up: every message is sent once, none is lost;
- a dispatcher process is killed (SIGKILL) in the middle of a batch: after the lease another one
  finishes the batch; no message reaches a customer twice, none is lost;
- two dispatchers run at once on the same outbox (10,000 messages on PostgreSQL): each exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from test_dispatch_factories import NOW, dispatcher, enqueue, make_customer, make_debt, seed_many, sent_events, statuses

from cupx.adapters.channels.local_servers import SmsProviderServer, SmtpCapture
from cupx.adapters.channels.sms import HttpSmsSender
from cupx.adapters.channels.smtp import SmtpSender
from cupx.adapters.tables.core import contact_events, outbox_messages
from cupx.bootstrap import Runtime
from cupx.services.dispatch import DispatchReport


def _emails(runtime: Runtime, n: int) -> None:
    for _ in range(n):
        cid = make_customer(runtime, phone=False)
        enqueue(runtime, cid, [make_debt(runtime, cid)], "email")


def test_smtp_down_then_up_every_message_sent_once(runtime: Runtime) -> None:
    _emails(runtime, 12)
    with SmtpCapture() as smtp:
        smtp.down = True
        sender = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example")
        report = dispatcher(runtime, {"email": sender}).run()
        assert report.retried == 12 and report.sent == 0 and smtp.messages == []
        assert statuses(runtime) == {"pending": 12}
        with runtime.engine.connect() as conn:
            first_retry = conn.execute(select(func.min(outbox_messages.c.next_attempt_at))).scalar()
        assert first_retry > NOW  # backed off, not hammered
        assert dispatcher(runtime, {"email": sender}).run().claimed == 0  # not due again yet
        smtp.down = False
        report = dispatcher(runtime, {"email": sender}, now=NOW + timedelta(hours=2)).run()
        sender.close()
    assert report.sent == 12
    assert len(smtp.message_ids()) == 12 and set(smtp.message_ids().values()) == {1}
    assert statuses(runtime) == {"sent": 12} and len(sent_events(runtime)) == 12


def test_smtp_refusing_connections_then_reachable(runtime: Runtime) -> None:
    _emails(runtime, 3)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    down = SmtpSender("127.0.0.1", dead_port, mail_from="c@cupx.example", timeout=2)
    report = dispatcher(runtime, {"email": down}).run()
    assert report.retried == 3
    with runtime.engine.connect() as conn:
        errors = {r[0] for r in conn.execute(select(outbox_messages.c.last_error))}
    assert all("unavailable" in e for e in errors)
    with SmtpCapture() as smtp:
        up = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example")
        assert dispatcher(runtime, {"email": up}, now=NOW + timedelta(hours=2)).run().sent == 3
        up.close()
    assert set(smtp.message_ids().values()) == {1} and len(smtp.message_ids()) == 3


def test_permanent_failure_keeps_the_providers_reason(runtime: Runtime) -> None:
    cid = make_customer(runtime, phone=False, email_domain="invalid.example")
    enqueue(runtime, cid, [make_debt(runtime, cid)], "email")
    with SmtpCapture() as smtp:
        sender = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example")
        assert dispatcher(runtime, {"email": sender}).run().failed == 1
        sender.close()
    with runtime.engine.connect() as conn:
        row = conn.execute(select(outbox_messages)).one()
    assert row.status == "failed" and "550" in row.last_error and "No such user" in row.last_error


_KILLED_WORKER = textwrap.dedent("""
    import sys
    from datetime import datetime
    sys.path.insert(0, {tests!r})
    from cupx.bootstrap import bootstrap
    from cupx.config import Settings
    from cupx.adapters.channels.sms import HttpSmsSender
    from test_dispatch_factories import dispatcher
    rt = bootstrap(Settings(environment="test", database_url={db!r}, data_dir={data!r}))
    now = datetime.fromisoformat({now!r})
    sms = HttpSmsSender({url!r}, "ACtest", "secret", "+15005550006", concurrency=1)
    dispatcher(rt, {{"sms": sms}}, now=now, batch_size=40, record_every=10).run()
""")


def test_worker_killed_mid_batch_no_duplicate_no_loss(runtime: Runtime, db_url: str, tmp_path: Path) -> None:
    seed_many(runtime, 40, channels=("sms",))
    dispatcher(runtime)  # stores the default templates before the worker starts
    with SmsProviderServer() as server:
        server.gate, server.gate_after = threading.Event(), 25  # the 26th request hangs until released
        script = _KILLED_WORKER.format(tests=str(Path(__file__).parent), db=db_url, data=str(tmp_path / "var"),
                                       now=NOW.isoformat(), url=server.url)
        proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
        try:
            assert server.arrived.wait(60), "the worker never reached the middle of its batch"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        server.gate.set()
        assert statuses(runtime).get("claimed", 0) > 0  # the dead worker left rows under its lease
        assert dispatcher(runtime, {"sms": HttpSmsSender(server.url, "ACtest", "secret", "+15005550006")},
                          now=NOW + timedelta(minutes=1)).run().claimed == 0  # lease not expired yet
        sender = HttpSmsSender(server.url, "ACtest", "secret", "+15005550006")
        report = dispatcher(runtime, {"sms": sender}, now=NOW + timedelta(minutes=6)).run()
        sender.close()
    assert report.sent > 0
    assert statuses(runtime) == {"sent": 40}
    assert len(server.delivered) == 40  # every message reached its customer once
    assert server.resent() >= 1  # the re-send after the crash was answered from the provider's key
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(contact_events)).scalar() == 40
        sids = [r[0] for r in conn.execute(select(outbox_messages.c.provider_id))]
    assert len(set(sids)) == 40


def test_two_concurrent_dispatchers_send_each_message_exactly_once(runtime: Runtime) -> None:
    n = 10_000 if runtime.engine.dialect.name == "postgresql" else 1_000
    seed_many(runtime, n, channels=("sms", "email"))
    dispatcher(runtime)  # stores the default templates once, before the race
    reports: list[DispatchReport] = []
    with SmsProviderServer() as server, SmtpCapture() as smtp:
        def work(name: str) -> None:
            sms = HttpSmsSender(server.url, "ACtest", "secret", "+15005550006")
            mail = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example")
            d = dispatcher(runtime, {"sms": sms, "email": mail}, batch_size=250)
            d.worker = name
            reports.append(d.run())
            d.close()

        threads = [threading.Thread(target=work, args=(f"d{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
    assert all(r.claimed > 0 for r in reports), "both dispatchers took part"
    assert sum(r.sent for r in reports) == n
    assert len(server.requests) == n // 2 and set(server.requests.values()) == {1}  # not even a re-send
    assert len(smtp.message_ids()) == n // 2 and set(smtp.message_ids().values()) == {1}
    assert statuses(runtime) == {"sent": n}
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(contact_events)).scalar() == n

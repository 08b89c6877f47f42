"""The dispatcher leaves one guard audit record (RULES.md §7.6) per send-time evaluation, allowed,
blocked or re-scheduled, in the chunk's recording transaction; the hash chain verifies, also with two
dispatchers appending concurrently (both databases)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from test_dispatch_factories import NOW, dispatcher, enqueue, make_customer, make_debt, outbox, seed_many, statuses

from cupx.adapters.tables.compliance import guard_audit_records
from cupx.adapters.tables.core import contact_events
from cupx.bootstrap import Runtime
from cupx.services.audit import verify_chain
from cupx.services.dispatch_guard import ComplianceGuard

LATE = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)  # 22:00 in New York


def _records(runtime: Runtime) -> dict[str, dict[str, str]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(guard_audit_records).order_by(guard_audit_records.c.seq)).mappings()
        return {r["decision_id"]: dict(r) for r in rows}


def test_allowed_blocked_and_rescheduled_messages_each_leave_one_record(runtime: Runtime) -> None:
    ok_cid = make_customer(runtime)
    ok = enqueue(runtime, ok_cid, [make_debt(runtime, ok_cid)], "email")
    ceased_cid = make_customer(runtime)
    ceased_debt = make_debt(runtime, ceased_cid)
    ceased = enqueue(runtime, ceased_cid, [ceased_debt], "email")
    with runtime.engine.begin() as conn:
        conn.execute(insert(contact_events).values(
            customer_id=ceased_cid, type="cease_notice", at=NOW - timedelta(hours=1),
            debt_ids=json.dumps([ceased_debt]),
            payload=json.dumps({"medium": "mail", "debt_ids": "all", "written": True})))
    report = dispatcher(runtime, guard=ComplianceGuard()).run()
    assert (report.sent, report.blocked) == (1, 1)

    late_cid = make_customer(runtime)
    late = enqueue(runtime, late_cid, [make_debt(runtime, late_cid)], "sms", scheduled_at=LATE)
    assert dispatcher(runtime, guard=ComplianceGuard(), now=LATE).run().rescheduled == 1

    records = _records(runtime)
    assert set(records) == {f"dispatch:{ok}:1", f"dispatch:{ceased}:1", f"dispatch:{late}:1"}
    allowed, blocked, deferred = (records[f"dispatch:{i}:1"] for i in (ok, ceased, late))
    assert (allowed["outcome"], allowed["reason_codes"], allowed["action_type"]) == ("allowed", "", "email")
    assert blocked["outcome"] == "blocked" and "REGF_CEASE_COMMUNICATION" in blocked["reason_codes"].split(",")
    assert deferred["outcome"] == "blocked" and deferred["reason_codes"] == "REGF_INCONVENIENT_TIME"
    assert blocked["customer_id"] == ceased_cid and blocked["debt_ids"] == str(ceased_debt)
    for r in records.values():  # the stored action names contact points by id only
        body = json.loads(r["body"])
        assert "address" not in body["action"] and "number" not in body["action"]
    assert outbox(runtime, ceased).status == "blocked"
    report = verify_chain(runtime)
    assert report.ok and report.checked == 3


def test_a_retry_is_a_new_evaluation_with_its_own_record(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    oid = enqueue(runtime, cid, [make_debt(runtime, cid)], "sms", scheduled_at=LATE)
    dispatcher(runtime, guard=ComplianceGuard(), now=LATE).run()
    row = outbox(runtime, oid)
    assert dispatcher(runtime, guard=ComplianceGuard(), now=row.scheduled_at).run().sent == 1
    records = _records(runtime)
    assert [r["outcome"] for r in records.values()] == ["blocked", "allowed"]
    assert list(records) == [f"dispatch:{oid}:1", f"dispatch:{oid}:2"]
    assert verify_chain(runtime).ok


def test_two_concurrent_dispatchers_keep_the_chain_valid(runtime: Runtime) -> None:
    n = 600
    seed_many(runtime, n, channels=("sms", "email"))
    dispatcher(runtime)  # stores the default templates once, before the race
    errors: list[BaseException] = []
    claimed: list[int] = []

    def work(name: str) -> None:
        try:
            d = dispatcher(runtime, batch_size=50, record_every=10)
            d.worker = name
            claimed.append(d.run().claimed)
            d.close()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"d{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and len(claimed) == 2 and all(claimed), "both dispatchers took part"
    assert statuses(runtime) == {"sent": n}
    records = _records(runtime)
    assert len(records) == n and {r["outcome"] for r in records.values()} == {"allowed"}
    report = verify_chain(runtime)
    assert report.ok and report.checked == n

"""Guard audit records: hash chain append / verify / tamper detection / purge, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from cupx.adapters.tables.compliance import guard_audit_records
from cupx.compliance import evaluate
from cupx.services.audit import AuditRecordIn, append_records, purge_expired, verify_chain

NOW = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)
CTX = {"collector_role": "fdcpa_debt_collector",
       "consumer": {"id": "C1", "location_evidence": [{"kind": "postal_address", "value": "60606",
                                                        "tz": "America/Chicago"}]},
       "debts": [{"id": "D1"}, {"id": "OLD"}]}


def _records(n: int, start: datetime = NOW, debt: str = "D1") -> list[AuditRecordIn]:
    out = []
    for i in range(n):
        action = {"type": "call", "at": (start + timedelta(minutes=i)).isoformat(), "person": "C1",
                  "number": "+13125550199", "debt_ids": [debt]}
        decision = evaluate(CTX, [], action)
        out.append(AuditRecordIn(f"dec-{start.date()}-{debt}-{i}", start + timedelta(minutes=i), action, decision,
                                 customer_id=1))
    return out


def _append(runtime, records) -> None:  # type: ignore[no-untyped-def]
    with runtime.uow() as uow:
        append_records(uow, records)
        uow.commit()


def test_chain_verifies_after_single_and_bulk_appends(runtime) -> None:  # type: ignore[no-untyped-def]
    _append(runtime, _records(1))
    _append(runtime, _records(50, NOW + timedelta(days=1)))
    report = verify_chain(runtime)
    assert report.ok and report.checked == 51


def test_changed_record_is_reported(runtime, engine) -> None:  # type: ignore[no-untyped-def]
    _append(runtime, _records(5))
    with engine.begin() as conn:
        conn.execute(update(guard_audit_records).where(guard_audit_records.c.seq == 3)
                     .values(body=conn.execute(select(guard_audit_records.c.body).where(
                         guard_audit_records.c.seq == 3)).scalar_one().replace("allowed", "blocked")))
    report = verify_chain(runtime)
    assert (report.ok, report.problem, report.seq) == (False, "changed", 3)


def test_deleted_record_is_reported(runtime, engine) -> None:  # type: ignore[no-untyped-def]
    _append(runtime, _records(5))
    with engine.begin() as conn:
        conn.execute(delete(guard_audit_records).where(guard_audit_records.c.seq == 2))
    report = verify_chain(runtime)
    assert (report.problem, report.seq) == ("deleted", 2)


def test_inserted_record_is_reported(runtime, engine) -> None:  # type: ignore[no-untyped-def]
    _append(runtime, _records(3))
    with engine.begin() as conn:
        row = dict(conn.execute(select(guard_audit_records).where(guard_audit_records.c.seq == 3)).mappings().one())
        row.update(seq=4, decision_id="forged")
        conn.execute(insert(guard_audit_records).values(**row))
    report = verify_chain(runtime)
    assert not report.ok and report.seq == 4 and report.problem in ("changed", "inserted")


def test_purge_keeps_chain_verifiable(runtime) -> None:  # type: ignore[no-untyped-def]
    _append(runtime, _records(3, datetime(2020, 1, 6, 15, tzinfo=UTC), debt="OLD"))
    _append(runtime, _records(2))
    assert purge_expired(runtime, date(2023, 1, 6)) == {"purged": 0}  # retention through 2023-01-06 (C-15)
    assert purge_expired(runtime, date(2026, 9, 1))["purged"] == 3
    report = verify_chain(runtime)
    assert report.ok and report.checked == 2
    _append(runtime, _records(1, NOW + timedelta(days=2)))
    assert verify_chain(runtime).ok


def test_large_appends_take_the_bulk_path_and_read_back_the_same(runtime, engine) -> None:  # type: ignore[no-untyped-def]
    # given 3 records through the statement path and 1,200 through the bulk path (COPY on PostgreSQL)
    _append(runtime, _records(3))
    _append(runtime, _records(1_200, NOW + timedelta(days=1)))
    # then the chain verifies and the bulk rows read back exactly as written
    report = verify_chain(runtime)
    assert report.ok and report.checked == 1_203
    with engine.connect() as conn:
        row = conn.execute(select(guard_audit_records).where(guard_audit_records.c.seq == 1_203)).mappings().one()
    assert row["at"] == NOW + timedelta(days=1, minutes=1_199)
    assert row["retain_until"] == date(2029, 9, 16)  # three years after the record's day (Sep 16 2026)
    assert row["customer_id"] == 1 and row["debt_ids"] == "D1"

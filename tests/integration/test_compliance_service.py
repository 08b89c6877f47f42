"""guard_and_record / record_batch_decisions write chained audit records (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import func, select

from cupx.adapters.tables.compliance import guard_audit_records
from cupx.services.audit import verify_chain
from cupx.services.compliance import guard_and_record, record_batch_decisions

NOW = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)
CTX = {"collector_role": "fdcpa_debt_collector",
       "consumer": {"id": "7", "location_evidence": [{"kind": "postal_address", "value": "60606",
                                                       "tz": "America/Chicago"}]},
       "debts": [{"id": "1"}]}


def test_single_and_batch_records_chain(runtime, engine) -> None:  # type: ignore[no-untyped-def]
    action = {"type": "call", "at": "2026-09-14T06:00:00-05:00", "person": "7", "debt_ids": ["1"]}
    with runtime.uow() as uow:
        decision = guard_and_record(uow, CTX, [], action, decision_id="disp:1", now=NOW, customer_id=7)
        rows = pl.DataFrame({"decision_id": [f"cycle:2026-09-14:{i}:sms" for i in range(100)],
                             "customer_id": list(range(100)), "action_type": ["sms"] * 100,
                             "debt_ids": [[str(i)] for i in range(100)], "outcome": ["allowed"] * 99 + ["blocked"],
                             "reason_codes": [[]] * 99 + [["REGF_CALL_FREQUENCY"]], "action_at": [None] * 100})
        assert record_batch_decisions(uow, rows, now=NOW) == 100
        uow.commit()
    assert decision.reason_codes == ("REGF_INCONVENIENT_TIME",)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(guard_audit_records)).scalar_one() == 101
        first = conn.execute(select(guard_audit_records).where(guard_audit_records.c.seq == 1)).mappings().one()
        last = conn.execute(select(guard_audit_records).where(guard_audit_records.c.seq == 101)).mappings().one()
    assert (last["decision_id"], last["outcome"], last["reason_codes"], last["debt_ids"]) == (
        "cycle:2026-09-14:99:sms", "blocked", "REGF_CALL_FREQUENCY", "99")
    assert first["outcome"] == "blocked" and first["reason_codes"] == "REGF_INCONVENIENT_TIME"
    assert verify_chain(runtime).ok

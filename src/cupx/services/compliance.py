"""Use cases around the guard: evaluate a proposed contact and leave its audit record (RULES.md §7.6)
in the caller's transaction, single or in bulk (for the cycle's batch answers).

    with runtime.uow() as uow:
        decision = guard_and_record(uow, context, events, action, decision_id="disp:123", now=now, customer_id=7)
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from cupx.compliance import Decision, evaluate
from cupx.services.audit import AuditRecordIn, append_records
from cupx.services.uow import UnitOfWork

__all__ = ["guard_and_record", "record_batch_decisions"]


def guard_and_record(uow: UnitOfWork, context: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                     action: Mapping[str, Any], *, decision_id: str, now: datetime,
                     customer_id: int | None = None) -> Decision:
    """Evaluate one action and append its audit record; the caller commits."""
    decision = evaluate(context, events, action)
    append_records(uow, [AuditRecordIn(decision_id, now, action, decision, events, customer_id)])
    return decision


def record_batch_decisions(uow: UnitOfWork, rows: Iterable[Mapping[str, Any]], *, now: datetime,
                           prefix: str) -> int:
    """Append audit records for batch answers (rows with action_id, customer_id, channel, debt_ids,
    decision, reason_codes); one bulk insert. Returns the number of records."""
    records = []
    for row in rows:
        codes = tuple(str(c) for c in row.get("reason_codes") or ())
        decision = Decision(row["decision"], codes, (), {"source": "batch"}, (), False)
        action = {"type": row.get("channel"), "debt_ids": [str(d) for d in row.get("debt_ids") or ()],
                  "at": row.get("at")}
        records.append(AuditRecordIn(f"{prefix}:{row['action_id']}", now, action, decision, (),
                                     row.get("customer_id")))
    append_records(uow, records)
    return len(records)

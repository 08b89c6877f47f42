"""Use cases around the guard: evaluate a proposed contact and leave its audit record (RULES.md §7.6)
in the caller's transaction, single or in bulk (for the cycle's batch answers).

    with runtime.uow() as uow:
        decision = guard_and_record(uow, context, events, action, decision_id="disp:123", now=now, customer_id=7)
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from cupx.compliance import Decision, evaluate
from cupx.compliance.audit_frames import batch_record_frame
from cupx.services.audit import AuditRecordIn, append_frame, append_records
from cupx.services.uow import UnitOfWork

__all__ = ["guard_and_record", "record_batch_decisions"]


def guard_and_record(uow: UnitOfWork, context: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                     action: Mapping[str, Any], *, decision_id: str, now: datetime,
                     customer_id: int | None = None) -> Decision:
    """Evaluate one action and append its audit record; the caller commits."""
    decision = evaluate(context, events, action)
    append_records(uow, [AuditRecordIn(decision_id, now, action, decision, events, customer_id)])
    return decision


def record_batch_decisions(uow: UnitOfWork, answers: pl.DataFrame, *, now: datetime) -> int:
    """Append one audit record per batch answer (columns of `cupx.compliance.audit_frames`:
    decision_id, customer_id, action_type, debt_ids, outcome, reason_codes, action_at) in one bulk
    insert, in row order. Returns the number of records."""
    return append_frame(uow, batch_record_frame(answers, now))

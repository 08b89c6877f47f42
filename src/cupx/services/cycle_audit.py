"""Audit records of the cycle's guard answers (RULES.md §7.6, issue 3).

Each customer contact the guard answered (the winner of the day on an external channel: sms, email,
letter, call_task) gets one record, allowed or blocked, written by `record_cycle_audit` in the caller's
transaction — the same one as the decisions and outbox rows, so a record exists exactly when the
contact's decision does. The decision id is deterministic, `cycle:{as_of}:{customer_id}:{channel}`, and ids
already recorded are skipped, so a rerun of the same date appends nothing. Internal tasks (review,
agency) skip the guard and are not recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from cupx.cycle.guard import GUARD_CHANNEL
from cupx.services.compliance import record_batch_decisions
from cupx.services.cycle_ports import CycleAuditLog
from cupx.services.uow import UnitOfWork
from cupx.strategy.vocabulary import DecisionKind, Reason

__all__ = ["audit_rows", "audit_prefix", "record_cycle_audit"]

_PLAN_REASONS = frozenset(r.value for r in Reason)


def audit_prefix(as_of: date) -> str:
    return f"cycle:{as_of.isoformat()}"


def audit_rows(decisions: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per guarded contact: action_id (customer:channel), decision and the guard's reason codes."""
    plan_kind = "plan_kind" if "plan_kind" in decisions.columns else "kind"
    guarded = decisions.filter((pl.col(plan_kind) == DecisionKind.CONTACT.value)
                               & pl.col("channel").is_in(list(GUARD_CHANNEL))).select(
        "customer_id", "channel", "kind", "reasons", "debt_id", "message_debt_ids",
        pl.col("scheduled_at").dt.to_string("%Y-%m-%dT%H:%M:%S%:z").alias("at"))
    rows = []
    for r in guarded.iter_rows(named=True):
        allowed = r["kind"] == DecisionKind.CONTACT.value
        # a blocked contact's reasons are the plan's reasons followed by the guard's codes
        codes = [] if allowed else [c for c in (r["reasons"] or "").split(",") if c and c not in _PLAN_REASONS]
        rows.append({"action_id": f"{r['customer_id']}:{r['channel']}", "customer_id": r["customer_id"],
                     "channel": r["channel"], "debt_ids": r["message_debt_ids"] or [r["debt_id"]],
                     "decision": "allowed" if allowed else "blocked", "reason_codes": codes, "at": r["at"]})
    return rows


def record_cycle_audit(uow: UnitOfWork, as_of: date, decisions: pl.DataFrame, now: datetime) -> int:
    """Append the records not yet stored for this date; returns how many were appended. Caller commits."""
    prefix = audit_prefix(as_of)
    done = uow[CycleAuditLog].recorded(prefix + ":")
    rows = [r for r in audit_rows(decisions) if f"{prefix}:{r['action_id']}" not in done]
    return record_batch_decisions(uow, rows, now=now, prefix=prefix) if rows else 0

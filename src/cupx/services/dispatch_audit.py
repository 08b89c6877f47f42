"""Audit records of the dispatcher's send-time guard answers (RULES.md §7.6, issue 3).

Every guard evaluation that lets a message go out, blocks it, or defers it to the next allowed time
gets one record. Invariants:
- the decision id is deterministic per outbox row and claim, `dispatch:{outbox_id}:{attempt}` (the
  claim increments `attempts`, so a retry or a reclaimed lease is a new evaluation with a new id);
- the records of one chunk are appended with ONE `append_records` call in the transaction that
  records the chunk's outcomes, after the outbox updates: the chain lock (PostgreSQL table lock,
  SQLite writer lock) is the last lock taken and is held only until that commit, so two dispatchers
  cannot deadlock on it and the chain stays linear;
- the stored action carries no contact point in the clear (number / address are dropped; ids stay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cupx.compliance.decision import Decision
from cupx.services.audit import AuditRecordIn

__all__ = ["audit_record", "decision_id"]

_PII_KEYS = frozenset({"number", "address"})


def decision_id(outbox_id: int, attempt: int) -> str:
    return f"dispatch:{outbox_id}:{attempt}"


def _as_decision(answer: Any) -> Decision:
    """The guard's answer as a `Decision` (test guards answer with look-alikes)."""
    if isinstance(answer, Decision):
        return answer
    return Decision(str(answer.decision), tuple(str(c) for c in getattr(answer, "reason_codes", ()) or ()),
                    tuple(getattr(answer, "advisory_flags", ()) or ()), dict(getattr(answer, "computed", {}) or {}),
                    tuple(getattr(answer, "citations", ()) or ()), bool(getattr(answer, "override_permitted", False)))


def audit_record(*, outbox_id: int, attempt: int, customer_id: int, action: Mapping[str, Any], answer: Any,
                 events: Sequence[Mapping[str, Any]], now: datetime,
                 exempted: Sequence[str] = ()) -> AuditRecordIn:
    """One record for one evaluation; `exempted` names block codes waived for an opt-out confirmation."""
    stored = {k: v for k, v in action.items() if k not in _PII_KEYS}
    stored["outbox_id"] = outbox_id
    override = {"kind": "opt_out_confirmation", "exempted_codes": sorted(exempted)} if exempted else None
    return AuditRecordIn(decision_id(outbox_id, attempt), now, stored, _as_decision(answer), events,
                         customer_id, override)

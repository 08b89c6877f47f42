"""Recording overrides of presumption blocks (C-7): validated by `cupx.compliance.overrides`, stored
in `guard_overrides` and written into the audit chain in the same transaction."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cupx.compliance.decision import Decision
from cupx.compliance.overrides import apply_override
from cupx.services.uow import UnitOfWork

__all__ = ["OverrideRepository", "record_override"]


class OverrideRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, row: Mapping[str, Any]) -> None: ...


def record_override(uow: UnitOfWork, *, decision_id: str, decision: Decision, action: Mapping[str, Any],
                    username: str, role: str, reason: str, at: datetime, note: str = "",
                    events: Sequence[Any] = (), customer_id: int | None = None) -> Decision:
    """Apply and record an override; the caller commits."""
    from cupx.services.audit import AuditRecordIn, append_records

    overridden = apply_override(decision, role, reason, username)
    uow[OverrideRepository].add({"decision_id": decision_id, "username": username, "role": role, "reason": reason,
                                 "note": note, "codes": ",".join(decision.reason_codes), "at": at})
    append_records(uow, [AuditRecordIn(f"{decision_id}:override", at, action, overridden, events, customer_id,
                                       override=overridden.computed["override"])])
    return overridden

"""SQL implementation of `CycleAuditLog`: the audit decision ids of one cycle date."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.compliance import guard_audit_records
from cupx.services.cycle_ports import CycleAuditLog

__all__ = ["SqlCycleAuditLog"]


@implements(CycleAuditLog)
class SqlCycleAuditLog(CycleAuditLog):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def recorded(self, prefix: str) -> set[str]:
        # a range on the unique key, not LIKE, so the index serves it on both databases; the prefix ends
        # with ':' and ';' follows ':'
        key = guard_audit_records.c.decision_id
        rows = self.conn.execute(select(key).where(key >= prefix, key < prefix[:-1] + ";")).scalars().all()
        return set(rows)

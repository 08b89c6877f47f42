"""SQL repository of the disputes area: dispute and verification contact events, and the debts a customer
can still dispute. Case moves and outbox cancellation reuse the payments area's `CaseStore`/`OutboxStore`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.core import contact_events, debts
from cupx.domain.case import CaseStatus
from cupx.services.disputes import DisputeStore

__all__ = ["SqlDisputeStore"]

_NOT_OPEN = [str(s) for s in CaseStatus if not s.is_open] + [str(CaseStatus.DISPUTED)]


@implements(DisputeStore)
class SqlDisputeStore(DisputeStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def add_event(self, *, customer_id: int, debt_id: int, type_: str, channel: str | None, at: datetime,
                  payload: dict[str, Any]) -> None:
        self.conn.execute(insert(contact_events).values(
            customer_id=customer_id, debt_id=debt_id, debt_ids=json.dumps([debt_id]), type=type_, channel=channel,
            at=at, right_party=True, payload=json.dumps(payload, default=str, sort_keys=True)))

    def last_event_at(self, debt_id: int, type_: str) -> datetime | None:
        ce = contact_events
        found: datetime | None = self.conn.execute(
            select(func.max(ce.c.at)).where(and_(ce.c.debt_id == debt_id, ce.c.type == type_))).scalar()
        return found

    def open_debt_ids(self, customer_id: int) -> list[int]:
        rows = self.conn.execute(select(debts.c.id).where(and_(debts.c.customer_id == customer_id,
                                                               debts.c.status.not_in(_NOT_OPEN)))
                                 .order_by(debts.c.id))
        return [int(r[0]) for r in rows]

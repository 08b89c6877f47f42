"""SQL implementation of the idempotency-record port (core table `idempotency_records`)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.core import idempotency_records as t
from cupx.adapters.uow import RuntimeLike
from cupx.services.idempotency import IdempotencyRecord, IdempotencyStore

__all__ = ["SqlIdempotencyStore"]


@implements(IdempotencyStore)
class SqlIdempotencyStore(IdempotencyStore):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = self.conn.execute(select(t).where(t.c.scope == scope, t.c.key == key)).first()
        if row is None:
            return None
        return IdempotencyRecord(scope=row.scope, key=row.key, request_hash=row.request_hash,
                                 status_code=int(row.status_code), response_body=row.response_body,
                                 created_at=row.created_at)

    def add(self, record: IdempotencyRecord) -> None:
        self.conn.execute(insert(t).values(scope=record.scope, key=record.key, request_hash=record.request_hash,
                                           status_code=record.status_code, response_body=record.response_body,
                                           created_at=record.created_at))

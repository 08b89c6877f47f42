"""SQL implementation of the idempotency-record port (core table `idempotency_records`).

Both statements are built once with bind parameters: every idempotent POST runs them, and a statement
rebuilt per call costs its construction and cache-key generation each time.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, select

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.core import idempotency_records as t
from cupx.adapters.uow import RuntimeLike
from cupx.services.idempotency import IdempotencyRecord, IdempotencyStore

__all__ = ["SqlIdempotencyStore"]

_GET = select(t.c.request_hash, t.c.status_code, t.c.response_body, t.c.created_at).where(
    t.c.scope == bindparam("g_scope"), t.c.key == bindparam("g_key"))
_ADD = insert(t).inline()  # no RETURNING of the generated id: nobody reads it


@implements(IdempotencyStore)
class SqlIdempotencyStore(IdempotencyStore):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = self.conn.execute(_GET, {"g_scope": scope, "g_key": key}).first()
        if row is None:
            return None
        return IdempotencyRecord(scope=scope, key=key, request_hash=row.request_hash,
                                 status_code=int(row.status_code), response_body=row.response_body,
                                 created_at=row.created_at)

    def add(self, record: IdempotencyRecord) -> None:
        self.conn.execute(_ADD, {"scope": record.scope, "key": record.key, "request_hash": record.request_hash,
                                 "status_code": record.status_code, "response_body": record.response_body,
                                 "created_at": record.created_at})

"""SQL implementation of the guard audit port (append-only chain, checkpoints) and overrides."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, insert, select, text

from cupx.adapters.bulk import PreparedRows, bulk_insert, prepare_rows
from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.compliance import guard_audit_checkpoints, guard_audit_records, guard_overrides
from cupx.compliance.audit import GENESIS
from cupx.services.audit import AuditRepository, PreparedRecords
from cupx.services.compliance_overrides import OverrideRepository

__all__ = ["SqlAuditRepository", "SqlOverrideRepository"]


_BULK_FROM = 1_000


@implements(AuditRepository)
class SqlAuditRepository(AuditRepository):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def head(self) -> tuple[int, str]:
        if self.conn.dialect.name == "postgresql":  # serialise appenders so the chain stays linear
            self.conn.execute(text("LOCK TABLE guard_audit_records IN SHARE ROW EXCLUSIVE MODE"))
        elif self.conn.dialect.name == "sqlite":
            # Take the writer lock BEFORE reading the head (a write statement opens the write transaction,
            # waiting out busy_timeout), so no other appender can commit between our read and our insert.
            self.conn.execute(text("DELETE FROM guard_audit_checkpoints WHERE 0 = 1"))
        t = guard_audit_records
        row = self.conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
        return (int(row.seq), str(row.hash)) if row else self.checkpoint()

    def checkpoint(self) -> tuple[int, str]:
        c = guard_audit_checkpoints
        row = self.conn.execute(select(c.c.seq, c.c.hash).order_by(c.c.seq.desc()).limit(1)).first()
        return (int(row.seq), str(row.hash)) if row else (0, GENESIS)

    def insert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if len(rows) >= _BULK_FROM:
            # The nightly cycle appends hundreds of thousands of records: COPY on PostgreSQL.
            bulk_insert(self.conn, guard_audit_records, [dict(r) for r in rows])
        elif rows:
            self.conn.execute(insert(guard_audit_records), [dict(r) for r in rows])

    def insert_frame(self, frame: pl.DataFrame | PreparedRecords) -> None:
        assert isinstance(frame, pl.DataFrame | PreparedRows)
        bulk_insert(self.conn, guard_audit_records, frame)

    def prepare_frame(self, frame: pl.DataFrame) -> PreparedRows:
        return prepare_rows(self.conn.dialect.name, guard_audit_records, frame)

    def iter_rows(self) -> Iterator[Mapping[str, Any]]:
        t = guard_audit_records
        yield from self.conn.execute(select(t).order_by(t.c.seq)).mappings()

    def purge_through(self, seq: int, hash_: str, count: int, at: datetime) -> None:
        self.conn.execute(insert(guard_audit_checkpoints).values(seq=seq, hash=hash_, purged=count, at=at))
        self.conn.execute(delete(guard_audit_records).where(guard_audit_records.c.seq <= seq))


@implements(OverrideRepository)
class SqlOverrideRepository(OverrideRepository):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def add(self, row: Mapping[str, Any]) -> None:
        self.conn.execute(insert(guard_overrides).values(**row))

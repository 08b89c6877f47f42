"""SQL implementation of the staff port: users and API tokens (core tables `users`, `api_tokens`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.core import api_tokens, users
from cupx.adapters.uow import RuntimeLike
from cupx.domain.staff import Role
from cupx.services.staff import StaffRepository, TokenRecord, UserRecord

__all__ = ["SqlStaffRepository"]


def _user(row: Any) -> UserRecord:
    return UserRecord(id=int(row.id), username=row.username, password_hash=row.password_hash, role=Role(row.role),
                      active=bool(row.active), created_at=row.created_at)


def _token(row: Any) -> TokenRecord:
    return TokenRecord(id=int(row.id), user_id=int(row.user_id), name=row.name, created_at=row.created_at,
                       last_used_at=row.last_used_at, revoked=bool(row.revoked))


@implements(StaffRepository)
class SqlStaffRepository(StaffRepository):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def add_user(self, username: str, password_hash: str, role: Role, now: datetime) -> int:
        result = self.conn.execute(insert(users).values(
            username=username, password_hash=password_hash, role=str(role), active=True, created_at=now))
        return int(result.inserted_primary_key[0])

    def get_user(self, user_id: int) -> UserRecord | None:
        row = self.conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def get_user_by_username(self, username: str) -> UserRecord | None:
        row = self.conn.execute(select(users).where(users.c.username == username)).first()
        return None if row is None else _user(row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def set_active(self, user_id: int, active: bool) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(active=active))

    def add_token(self, user_id: int, token_hash: str, name: str, now: datetime) -> int:
        result = self.conn.execute(insert(api_tokens).values(
            user_id=user_id, token_hash=token_hash, name=name, created_at=now, revoked=False))
        return int(result.inserted_primary_key[0])

    def find_token(self, token_hash: str) -> TokenRecord | None:
        row = self.conn.execute(select(api_tokens).where(api_tokens.c.token_hash == token_hash)).first()
        return None if row is None else _token(row)

    def list_tokens(self, user_id: int) -> list[TokenRecord]:
        rows = self.conn.execute(select(api_tokens).where(api_tokens.c.user_id == user_id)
                                 .order_by(api_tokens.c.id)).all()
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: int) -> bool:
        result = self.conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked=True))
        return bool(result.rowcount)

    def touch_token(self, token_id: int, now: datetime) -> None:
        self.conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))

"""Staff handlers on an in-memory fake of the staff port: password hashing, tokens stored hashed,
revocation, disabled users, and that failures do not reveal which part was wrong."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from argon2 import PasswordHasher

from cupx.domain.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from cupx.domain.staff import Role
from cupx.services import staff
from cupx.services.staff import (
    Principal,
    StaffRepository,
    TokenRecord,
    UserRecord,
    authenticate_password,
    authenticate_token,
    create_token,
    create_user,
    hash_token,
    revoke_token,
    set_user_active,
)
from cupx.services.uow import UnitOfWork

T = TypeVar("T")
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


class FakeStaff(StaffRepository):
    def __init__(self) -> None:
        self.users: dict[int, UserRecord] = {}
        self.tokens: dict[int, tuple[str, TokenRecord]] = {}

    def add_user(self, username: str, password_hash: str, role: Role, now: datetime) -> int:
        uid = len(self.users) + 1
        self.users[uid] = UserRecord(uid, username, password_hash, role, True, now)
        return uid

    def get_user(self, user_id: int) -> UserRecord | None:
        return self.users.get(user_id)

    def get_user_by_username(self, username: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.users[user_id] = replace(self.users[user_id], password_hash=password_hash)

    def set_active(self, user_id: int, active: bool) -> None:
        self.users[user_id] = replace(self.users[user_id], active=active)

    def add_token(self, user_id: int, token_hash: str, name: str, now: datetime) -> int:
        tid = len(self.tokens) + 1
        self.tokens[tid] = (token_hash, TokenRecord(tid, user_id, name, now, None, False))
        return tid

    def find_token(self, token_hash: str) -> TokenRecord | None:
        return next((t for h, t in self.tokens.values() if h == token_hash), None)

    def list_tokens(self, user_id: int) -> list[TokenRecord]:
        return [t for _, t in self.tokens.values() if t.user_id == user_id]

    def revoke_token(self, token_id: int) -> bool:
        if token_id not in self.tokens:
            return False
        h, t = self.tokens[token_id]
        self.tokens[token_id] = (h, replace(t, revoked=True))
        return True

    def touch_token(self, token_id: int, now: datetime) -> None:
        h, t = self.tokens[token_id]
        self.tokens[token_id] = (h, replace(t, last_used_at=now))


class FakeUow(UnitOfWork):
    def __init__(self) -> None:
        self.repo = FakeStaff()
        self.commits = 0

    def __getitem__(self, port: type[T]) -> T:
        assert port is StaffRepository
        repo: Any = self.repo
        return repo  # type: ignore[no-any-return]

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        pass


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def uow() -> FakeUow:
    return FakeUow()


def test_password_is_stored_as_argon2_hash_and_verifies(uow: FakeUow) -> None:
    uid = create_user(uow, "alice", "s3cret-password", Role.AGENT, now=NOW)
    stored = uow.repo.users[uid].password_hash
    assert stored.startswith("$argon2id$") and "s3cret-password" not in stored
    assert authenticate_password(uow, "alice", "s3cret-password") == Principal(uid, "alice", Role.AGENT)


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong-password"), ("nobody", "s3cret-password"),
                                                    ("", "")])
def test_bad_login_gives_one_message(uow: FakeUow, username: str, password: str) -> None:
    create_user(uow, "alice", "s3cret-password", Role.AGENT, now=NOW)
    with pytest.raises(AuthenticationFailed) as err:
        authenticate_password(uow, username, password)
    assert str(err.value) == "invalid credentials"


@pytest.mark.parametrize(("username", "password", "role", "field"), [
    ("a", "long enough pass", "agent", "username"),
    ("has space", "long enough pass", "agent", "username"),
    ("bob", "short", "agent", "password"),
    ("bob", "long enough pass", "wizard", "role"),
])
def test_create_user_validates_naming_the_field(uow: FakeUow, username: str, password: str, role: str,
                                                field: str) -> None:
    with pytest.raises(ValidationError) as err:
        create_user(uow, username, password, role, now=NOW)
    assert err.value.field == field
    assert uow.repo.users == {}


def test_duplicate_username_conflicts(uow: FakeUow) -> None:
    create_user(uow, "alice", "s3cret-password", "agent", now=NOW)
    with pytest.raises(Conflict):
        create_user(uow, "alice", "other-password", "admin", now=NOW)


def test_token_is_stored_hashed_and_authenticates(uow: FakeUow) -> None:
    uid = create_user(uow, "alice", "s3cret-password", Role.SUPERVISOR, now=NOW)
    token = create_token(uow, "alice", name="ci", now=NOW)
    assert token.startswith("cupx_") and len(token) > 40
    (stored_hash, record), = uow.repo.tokens.values()
    assert stored_hash == hash_token(token) and token not in stored_hash
    assert authenticate_token(uow, token, now=NOW) == Principal(uid, "alice", Role.SUPERVISOR)
    assert uow.repo.tokens[record.id][1].last_used_at == NOW


def test_two_tokens_differ(uow: FakeUow) -> None:
    create_user(uow, "alice", "s3cret-password", Role.AGENT, now=NOW)
    assert create_token(uow, "alice", now=NOW) != create_token(uow, "alice", now=NOW)


def test_token_use_is_recorded_at_most_once_a_minute(uow: FakeUow) -> None:
    create_user(uow, "alice", "s3cret-password", Role.AGENT, now=NOW)
    token = create_token(uow, "alice", now=NOW)
    authenticate_token(uow, token, now=NOW)
    commits = uow.commits
    authenticate_token(uow, token, now=NOW + timedelta(seconds=30))
    assert uow.commits == commits
    authenticate_token(uow, token, now=NOW + timedelta(minutes=2))
    assert uow.commits == commits + 1


def test_revoked_token_and_disabled_user_do_not_authenticate(uow: FakeUow) -> None:
    create_user(uow, "alice", "s3cret-password", Role.AGENT, now=NOW)
    first, second = create_token(uow, "alice", now=NOW), create_token(uow, "alice", now=NOW)
    revoke_token(uow, 1)
    with pytest.raises(AuthenticationFailed):
        authenticate_token(uow, first, now=NOW)
    authenticate_token(uow, second, now=NOW)
    set_user_active(uow, "alice", False)
    with pytest.raises(AuthenticationFailed):
        authenticate_token(uow, second, now=NOW)
    with pytest.raises(AuthenticationFailed):
        authenticate_password(uow, "alice", "s3cret-password")
    with pytest.raises(ValidationError):
        create_token(uow, "alice", now=NOW)


def test_unknown_token_user_and_token_id(uow: FakeUow) -> None:
    with pytest.raises(AuthenticationFailed):
        authenticate_token(uow, "cupx_unknown", now=NOW)
    with pytest.raises(NotFound):
        create_token(uow, "nobody", now=NOW)
    with pytest.raises(NotFound):
        revoke_token(uow, 42)


def test_outdated_hash_is_upgraded_on_login(uow: FakeUow) -> None:
    uid = create_user(uow, "alice", "s3cret-password", Role.AGENT, now=NOW)
    weaker = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("s3cret-password")
    uow.repo.set_password_hash(uid, weaker)
    authenticate_password(uow, "alice", "s3cret-password")
    assert uow.repo.users[uid].password_hash != weaker
    authenticate_password(uow, "alice", "s3cret-password")

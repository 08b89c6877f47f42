"""Staff users, their passwords and API tokens: the use cases behind `cupx user`, `cupx token`, the login
page and the API's bearer authentication.

Invariants:
- A password is stored only as an argon2id hash; a token only as the SHA-256 hex of its text. Neither is
  ever logged or returned after creation (a new token is shown once, by `create_token`).
- A username is unique and matches `USERNAME_PATTERN`; a role is one of `cupx.domain.staff.Role`.
- An inactive user or a revoked token authenticates nobody; every failure raises `AuthenticationFailed`
  with the same message, so a caller cannot tell an unknown user from a wrong password.
- `TokenCache` keeps a token's principal for at most `TOKEN_CACHE_TTL_S` seconds, so a busy API client
  does not cost a database look-up per request. A revocation or a disabled user made in the same process
  (`revoke_token`, `set_user_active`) empties every cache at once; one made elsewhere (the CLI, another
  server worker) takes effect within `TOKEN_CACHE_TTL_S`.

Handlers take an entered unit of work (`with runtime.uow() as uow: create_user(uow, ...)`) and commit it.
"""

from __future__ import annotations

import abc
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cupx.domain.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from cupx.domain.staff import Role
from cupx.services.uow import UnitOfWork

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "TOKEN_CACHE_TTL_S",
    "TOKEN_PREFIX",
    "USERNAME_PATTERN",
    "Principal",
    "StaffRepository",
    "TokenCache",
    "TokenRecord",
    "UserRecord",
    "authenticate_password",
    "authenticate_token",
    "create_token",
    "create_user",
    "credentials_epoch",
    "hash_token",
    "principal_for_user",
    "revoke_token",
    "set_password",
    "set_user_active",
    "tokens_of",
]

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "cupx_"  # makes a leaked token easy to recognise by secret scanners
TOKEN_CACHE_TTL_S = 5.0  # the longest a revocation made in another process can go unnoticed
_FAILED = "invalid credentials"

# argon2id with the library's RFC 9106 low-memory defaults; one hasher per process.
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: the authenticated staff user."""

    user_id: int
    username: str
    role: Role


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    password_hash: str
    role: Role
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class StaffRepository(abc.ABC):
    """Port: users and API tokens."""

    @abc.abstractmethod
    def add_user(self, username: str, password_hash: str, role: Role, now: datetime) -> int: ...

    @abc.abstractmethod
    def get_user(self, user_id: int) -> UserRecord | None: ...

    @abc.abstractmethod
    def get_user_by_username(self, username: str) -> UserRecord | None: ...

    @abc.abstractmethod
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    @abc.abstractmethod
    def set_active(self, user_id: int, active: bool) -> None: ...

    @abc.abstractmethod
    def add_token(self, user_id: int, token_hash: str, name: str, now: datetime) -> int: ...

    @abc.abstractmethod
    def find_token(self, token_hash: str) -> TokenRecord | None: ...

    @abc.abstractmethod
    def list_tokens(self, user_id: int) -> list[TokenRecord]: ...

    @abc.abstractmethod
    def revoke_token(self, token_id: int) -> bool: ...

    @abc.abstractmethod
    def touch_token(self, token_id: int, now: datetime) -> None: ...


# Bumped by every in-process revocation or disabling: cache entries filled under an older epoch are void.
_epoch = 0
_epoch_lock = threading.Lock()


def credentials_epoch() -> int:
    """The current credentials epoch; read it BEFORE looking a token up, and store the entry under it."""
    return _epoch


def _credentials_changed() -> None:
    global _epoch
    with _epoch_lock:
        _epoch += 1


class TokenCache:
    """Principals of recently authenticated bearer tokens, keyed by the token's SHA-256 hash.

    An entry lives `ttl_s` seconds (by `clock`, monotonic) and only while the credentials epoch it was
    filled under is current. Only successful look-ups are cached, so an unknown token always reaches the
    database. Thread-safe enough for the server: single dict operations under the GIL; a stale read
    costs at most a second look-up.
    """

    def __init__(self, ttl_s: float = TOKEN_CACHE_TTL_S, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float, int]] = {}

    def get(self, token_hash: str) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        principal, expires, epoch = entry
        if epoch != _epoch or self.clock() >= expires:
            self._entries.pop(token_hash, None)
            return None
        return principal

    def put(self, token_hash: str, principal: Principal, epoch: int) -> None:
        """Remember a look-up made after reading `epoch` (from `credentials_epoch()`)."""
        if epoch != _epoch:
            return  # revoked or disabled meanwhile: the look-up may already be stale
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # many distinct tokens: start over rather than track ages
        self._entries[token_hash] = (principal, self.clock() + self.ttl_s, epoch)


def _now(now: datetime | None) -> datetime:
    # Handlers run at the edge of a request or a command; the clock is read here, once, when not given.
    return now if now is not None else datetime.now(UTC)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token: tokens are long random strings, so a fast hash is enough (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationError(f"unknown role {role!r}; one of {allowed}", field="role") from None


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")


def create_user(uow: UnitOfWork, username: str, password: str, role: Role | str,
                now: datetime | None = None) -> int:
    """Create an active staff user and return its id; refuses a taken username (Conflict)."""
    if not USERNAME_PATTERN.match(username or ""):
        raise ValidationError("username must be 2-100 letters, digits or . _ @ -, starting with a letter or digit",
                              field="username")
    checked_role = _check_role(role)
    _check_password(password)
    repo = uow[StaffRepository]
    if repo.get_user_by_username(username) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user_id = repo.add_user(username, _hasher.hash(password), checked_role, _now(now))
    uow.commit()
    return user_id


def set_password(uow: UnitOfWork, username: str, password: str) -> None:
    """Replace a user's password (an operator reset); existing API tokens stay valid."""
    _check_password(password)
    repo = uow[StaffRepository]
    user = repo.get_user_by_username(username)
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    repo.set_password_hash(user.id, _hasher.hash(password))
    uow.commit()


def set_user_active(uow: UnitOfWork, username: str, active: bool) -> None:
    """Disable (or re-enable) a user: a disabled user's sessions stop working at once, their tokens at once
    in this process and within `TOKEN_CACHE_TTL_S` on servers running elsewhere."""
    repo = uow[StaffRepository]
    user = repo.get_user_by_username(username)
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    repo.set_active(user.id, active)
    uow.commit()
    _credentials_changed()


def create_token(uow: UnitOfWork, username: str, name: str = "", now: datetime | None = None) -> str:
    """Issue a new API token for a user and return its text; only its hash is stored, so show it once."""
    repo = uow[StaffRepository]
    user = repo.get_user_by_username(username)
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    if not user.active:
        raise ValidationError(f"user {username!r} is disabled", field="username")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    repo.add_token(user.id, hash_token(token), name[:100], _now(now))
    uow.commit()
    return token


def tokens_of(uow: UnitOfWork, username: str) -> list[TokenRecord]:
    """A user's tokens (metadata only: the token text is never stored)."""
    repo = uow[StaffRepository]
    user = repo.get_user_by_username(username)
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    return repo.list_tokens(user.id)


def revoke_token(uow: UnitOfWork, token_id: int) -> None:
    """Revoke a token by id; it authenticates nobody afterwards (servers in other processes stop accepting it
    within `TOKEN_CACHE_TTL_S`)."""
    if not uow[StaffRepository].revoke_token(token_id):
        raise NotFound(f"no token {token_id}", field="token_id")
    uow.commit()
    _credentials_changed()


def principal_for_user(uow: UnitOfWork, user_id: int) -> Principal:
    """The principal of an active user (used for session cookies, which carry only the user id)."""
    user = uow[StaffRepository].get_user(user_id)
    if user is None or not user.active:
        raise AuthenticationFailed(_FAILED)
    return Principal(user.id, user.username, user.role)


def authenticate_token(uow: UnitOfWork, token: str, now: datetime | None = None) -> Principal:
    """The principal a bearer token stands for; records its last use."""
    repo = uow[StaffRepository]
    record = repo.find_token(hash_token(token)) if token else None
    if record is None or record.revoked:
        raise AuthenticationFailed(_FAILED)
    principal = principal_for_user(uow, record.user_id)
    stamp = _now(now)
    # Record use at most once a minute, so a busy client does not write on every request.
    if record.last_used_at is None or (stamp - record.last_used_at).total_seconds() > 60:
        repo.touch_token(record.id, stamp)
        uow.commit()
    return principal


def authenticate_password(uow: UnitOfWork, username: str, password: str) -> Principal:
    """The principal for a username and password; upgrades the stored hash when parameters changed."""
    repo = uow[StaffRepository]
    user = repo.get_user_by_username(username) if username else None
    if user is None or not user.active:
        # Spend the same time as a real check so response timing does not reveal which usernames exist.
        _hasher.hash(password or "x")
        raise AuthenticationFailed(_FAILED)
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed(_FAILED) from None
    if _hasher.check_needs_rehash(user.password_hash):
        repo.set_password_hash(user.id, _hasher.hash(password))
        uow.commit()
    return Principal(user.id, user.username, user.role)

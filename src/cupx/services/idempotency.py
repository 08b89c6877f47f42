"""Idempotency records: the stored outcome of a request made with an idempotency key.

A client that retries a request with the same key must get the same answer and cause the effect once.
A record keeps (scope, key) -> (hash of the request, status code, response body); `(scope, key)` is
unique in storage, so two concurrent first attempts cannot both be recorded: the loser's transaction
rolls back and it replays the winner's record.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

__all__ = ["IdempotencyRecord", "IdempotencyStore"]


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    scope: str  # the operation, e.g. "POST /api/v1/ledger"
    key: str  # the client's Idempotency-Key
    request_hash: str  # SHA-256 of the canonical request body
    status_code: int
    response_body: str  # JSON text
    created_at: datetime


class IdempotencyStore(abc.ABC):
    """Port: idempotency records."""

    @abc.abstractmethod
    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...

    @abc.abstractmethod
    def add(self, record: IdempotencyRecord) -> None: ...

"""Outbox message statuses and the moves between them (contract C6).

    pending -> claimed -> sent -> delivered | undelivered
                  |-> pending      (transient failure retried later, or re-scheduled to the allowed window)
                  |-> failed       (permanent failure, or retries exhausted; the provider's reason is kept)
                  |-> blocked      (the guard refused at send time; reason codes kept)
                  |-> cancelled
    pending -> cancelled

A claimed row whose lease expired is claimed again by another dispatcher (it stays `claimed`); the
provider-side message key makes the second send a no-op.
"""

from __future__ import annotations

from enum import StrEnum

from cupx.domain.errors import InvalidTransition

__all__ = ["OutboxStatus"]


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its scheduled time
    CLAIMED = "claimed"  # a dispatcher holds it under a lease
    SENT = "sent"  # the provider accepted it (provider_id recorded)
    DELIVERED = "delivered"  # the provider reported delivery
    UNDELIVERED = "undelivered"  # the provider reported it could not deliver
    FAILED = "failed"  # permanent failure; last_error has the provider's reason
    BLOCKED = "blocked"  # the compliance guard refused at send time
    CANCELLED = "cancelled"  # withdrawn before sending

    def can_move_to(self, target: OutboxStatus) -> bool:
        return target in _ALLOWED[self]

    def move_to(self, target: OutboxStatus) -> OutboxStatus:
        """The new status, or InvalidTransition naming both ends."""
        if not self.can_move_to(target):
            raise InvalidTransition(f"outbox message cannot move from {self} to {target}", field="status")
        return target

    @property
    def is_final(self) -> bool:
        return not _ALLOWED[self]


S = OutboxStatus
_ALLOWED: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    S.PENDING: frozenset({S.CLAIMED, S.CANCELLED}),
    S.CLAIMED: frozenset({S.CLAIMED, S.PENDING, S.SENT, S.FAILED, S.BLOCKED, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED, S.UNDELIVERED}),
    S.DELIVERED: frozenset(),
    S.UNDELIVERED: frozenset(),
    S.FAILED: frozenset(),
    S.BLOCKED: frozenset(),
    S.CANCELLED: frozenset(),
}

"""Settlements: accepting less than the balance, within floors and authority limits.

Concepts:
- A settlement is a lump sum or a short plan (at most `max_instalments`) for less than the balance.
  The discount is `(balance - amount) / balance`, in basis points, rounded up (so an offer is never
  judged a smaller discount than it is).
- `SettlementPolicy.floor_bp` per segment: the least share of the balance the creditor accepts; an offer
  below it is refused (`PolicyViolation`), whoever asks.
- `SettlementPolicy.authority_bp` per role: the largest discount that role may grant itself (agent,
  supervisor, manager; admin as manager). Above it the settlement waits in the approval queue for a
  role whose authority covers it.
- On completion the rest of the balance is written off as settled (`write_off_minor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cupx.domain.errors import PermissionDenied, PolicyViolation, ValidationError

__all__ = [
    "SettlementApproved",
    "SettlementDecision",
    "SettlementPolicy",
    "SettlementRequested",
    "SettlementSettled",
    "decide_settlement",
    "discount_bp",
    "require_authority",
    "write_off_minor",
]

_ROLES_BY_AUTHORITY = ("agent", "supervisor", "manager")


@dataclass(frozen=True, slots=True)
class SettlementPolicy:
    floor_bp: Mapping[str, int] = field(default_factory=lambda: {
        "default": 6_000, "vulnerable": 4_000, "high_balance": 5_000, "early_stage": 8_000})
    authority_bp: Mapping[str, int] = field(default_factory=lambda: {
        "agent": 1_000, "supervisor": 2_500, "manager": 4_000, "admin": 4_000})
    max_instalments: int = 6

    def floor_for(self, segment: str) -> int:
        return self.floor_bp.get(segment, self.floor_bp.get("default", 10_000))

    def authority_of(self, role: str) -> int:
        return self.authority_bp.get(role, 0)


def discount_bp(balance_minor: int, amount_minor: int) -> int:
    """The discount in basis points, rounded up."""
    if balance_minor <= 0:
        raise ValidationError("nothing is owed to settle", field="debt_id")
    return -(-(balance_minor - amount_minor) * 10_000 // balance_minor)


@dataclass(frozen=True, slots=True)
class SettlementDecision:
    discount_bp: int
    within_authority: bool
    approver_role: str | None  # the least role that may approve it when above the requester's authority


def decide_settlement(balance_minor: int, amount_minor: int, instalments: int, segment: str, role: str,
                      policy: SettlementPolicy) -> SettlementDecision:
    """Check an offer against the floor and the requester's authority."""
    if amount_minor <= 0:
        raise ValidationError("a settlement amount must be positive", field="amount_minor")
    if amount_minor >= balance_minor:
        raise ValidationError("a settlement is for less than the balance; take a payment or a plan instead",
                              field="amount_minor")
    if not 1 <= instalments <= policy.max_instalments:
        raise PolicyViolation(f"a settlement is paid in 1 to {policy.max_instalments} instalments",
                              field="instalment_count")
    floor = policy.floor_for(segment)
    if amount_minor * 10_000 < balance_minor * floor:
        raise PolicyViolation(f"the offer is below the {floor / 100:.2f}% floor of segment {segment!r}",
                              field="amount_minor", details={"floor_minor": -(-balance_minor * floor // 10_000)})
    disc = discount_bp(balance_minor, amount_minor)
    if disc <= policy.authority_of(role):
        return SettlementDecision(disc, True, None)
    approver = next((r for r in _ROLES_BY_AUTHORITY if policy.authority_of(r) >= disc), None)
    return SettlementDecision(disc, False, approver)


def require_authority(role: str, disc_bp: int, policy: SettlementPolicy) -> None:
    """An approver's own authority must cover the discount."""
    if disc_bp > policy.authority_of(role):
        raise PermissionDenied(f"a {disc_bp / 100:.2f}% discount is above the {role} authority of"
                               f" {policy.authority_of(role) / 100:.2f}%", field="discount")


def write_off_minor(balance_now_minor: int) -> int:
    """What is written off as settled once the settlement is paid: whatever is still owed."""
    return max(balance_now_minor, 0)


@dataclass(frozen=True, slots=True)
class SettlementRequested:
    plan_id: int
    debt_id: int
    amount_minor: int
    balance_minor: int
    discount_bp: int
    requested_by: str
    needs_approval: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class SettlementApproved:
    plan_id: int
    approved_by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SettlementSettled:
    plan_id: int
    debt_id: int
    written_off_minor: int
    at: datetime

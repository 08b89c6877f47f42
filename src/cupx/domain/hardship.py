"""Hardship and vulnerability: breathing space, forbearance, re-ageing and routing.

Concepts:
- A `BreathingSpace` pauses collection contact, interest and fees on a customer's debts (or one debt)
  from `starts_on` for `days` days (60 by default), ending on `ends_on` inclusive. While it is active
  the debts' cases are `hardship_hold`.
- Forbearance options (CONC 7.3.5G): suspend or waive interest and fees, accept token payments,
  extend the term, a payment holiday, refer to free debt advice. `HardshipPolicy.forbearance` lists
  the ones allowed per segment; each is recorded like a breathing space with its own kind and length.
- Re-ageing: after `reage_after` consecutive on-time plan payments the debt is treated as current (the
  case is cured) and the decision is recorded.
- Vulnerability flags soften the strategy and route the account to agents trained for it (`route_for`).

Invariant: starts_on <= ends_on; an active hold is active on every day in between, inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from cupx.domain.errors import InvalidTransition, PolicyViolation, ValidationError

__all__ = [
    "BreathingSpace",
    "BreathingSpaceEnded",
    "BreathingSpaceStarted",
    "HardshipPolicy",
    "HoldKind",
    "HoldStatus",
    "Routing",
    "VulnerabilityRecorded",
    "route_for",
]


class HoldKind(StrEnum):
    BREATHING_SPACE = "breathing_space"  # contact, interest and fees paused
    INTEREST_FREEZE = "interest_freeze"  # interest and fees suspended, contact continues
    TOKEN_PAYMENTS = "token_payments"  # small payments accepted for a reasonable time
    PAYMENT_HOLIDAY = "payment_holiday"  # plan instalments paused
    EXTENDED_TERM = "extended_term"  # a longer repayment period allowed
    DEBT_ADVICE = "debt_advice"  # referred to free debt advice; collection paused meanwhile

    @property
    def pauses_contact(self) -> bool:
        return self in (HoldKind.BREATHING_SPACE, HoldKind.PAYMENT_HOLIDAY, HoldKind.DEBT_ADVICE)

    @property
    def pauses_interest(self) -> bool:
        return self in (HoldKind.BREATHING_SPACE, HoldKind.INTEREST_FREEZE, HoldKind.DEBT_ADVICE)


class HoldStatus(StrEnum):
    ACTIVE = "active"  # in force on the days it covers
    ENDED = "ended"  # its period ran out (or it was ended early)
    CANCELLED = "cancelled"  # recorded in error


@dataclass(frozen=True, slots=True)
class HardshipPolicy:
    breathing_space_days: int = 60
    max_days: int = 180
    forbearance: Mapping[str, frozenset[HoldKind]] = field(default_factory=lambda: {
        "default": frozenset(HoldKind),
        "early_stage": frozenset({HoldKind.BREATHING_SPACE, HoldKind.INTEREST_FREEZE, HoldKind.DEBT_ADVICE}),
    })
    reage_after: int = 3

    def allowed(self, segment: str) -> frozenset[HoldKind]:
        return self.forbearance.get(segment, self.forbearance.get("default", frozenset()))


@dataclass(frozen=True, slots=True)
class BreathingSpaceStarted:
    hold_id: int
    customer_id: int
    debt_id: int | None
    kind: str
    starts_on: date
    ends_on: date
    at: datetime


@dataclass(frozen=True, slots=True)
class BreathingSpaceEnded:
    hold_id: int
    customer_id: int
    reason: str
    at: datetime


@dataclass(slots=True)
class BreathingSpace:
    customer_id: int
    starts_on: date
    ends_on: date
    reason: str
    kind: HoldKind = HoldKind.BREATHING_SPACE
    debt_id: int | None = None
    id: int = 0
    status: HoldStatus = HoldStatus.ACTIVE
    events: list[object] = field(default_factory=list)

    @classmethod
    def start(cls, customer_id: int, starts_on: date, reason: str, policy: HardshipPolicy, *,
              days: int | None = None, kind: HoldKind = HoldKind.BREATHING_SPACE, segment: str = "default",
              debt_id: int | None = None) -> BreathingSpace:
        """A new hold of `days` (the policy's default for breathing space) from `starts_on`."""
        days = policy.breathing_space_days if days is None else days
        if not 1 <= days <= policy.max_days:
            raise ValidationError(f"a hold lasts 1 to {policy.max_days} days", field="days")
        if not reason.strip():
            raise ValidationError("a hold needs a reason", field="reason")
        if kind not in policy.allowed(segment):
            raise PolicyViolation(f"{kind} is not a forbearance option for segment {segment!r}", field="kind")
        return cls(customer_id, starts_on, starts_on + timedelta(days=days - 1), reason, kind, debt_id)

    def is_active(self, on: date) -> bool:
        return self.status == HoldStatus.ACTIVE and self.starts_on <= on <= self.ends_on

    def started(self, at: datetime) -> BreathingSpaceStarted:
        event = BreathingSpaceStarted(self.id, self.customer_id, self.debt_id, str(self.kind), self.starts_on,
                                      self.ends_on, at)
        self.events.append(event)
        return event

    def end(self, at: datetime, reason: str = "period over") -> BreathingSpaceEnded:
        if self.status != HoldStatus.ACTIVE:
            raise InvalidTransition(f"hold {self.id} is already {self.status}", field="status")
        self.status = HoldStatus.ENDED
        event = BreathingSpaceEnded(self.id, self.customer_id, reason, at)
        self.events.append(event)
        return event


@dataclass(frozen=True, slots=True)
class VulnerabilityRecorded:
    customer_id: int
    flag: str
    queue: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Routing:
    queue: str  # the agent queue the account goes to
    required_skill: str | None  # agents must hold this training
    soften: bool  # the strategy uses its gentlest ladder and lower contact caps


_VULNERABILITY_FLAGS = frozenset({"vulnerable", "financial_difficulty", "hardship", "military"})


def route_for(flags: Iterable[str]) -> Routing:
    """Vulnerability flags route to trained agents and soften the strategy."""
    found = set(flags) & _VULNERABILITY_FLAGS
    if "vulnerable" in found:
        return Routing("vulnerable_customers", "vulnerability", True)
    if found:
        return Routing("hardship", "forbearance", True)
    return Routing("standard", None, False)

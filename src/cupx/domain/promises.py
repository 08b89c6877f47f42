"""Promises to pay, and how the nightly cycle decides whether each was kept or broken.

Concepts:
- A promise is an amount the customer said they would pay by a date, with the channel it came through
  and who took it. It is `pending` until resolved `kept` or `broken`, or `cancelled`.
- `PromisePolicy`: a grace period in days after the promised date, and a partial-payment tolerance
  (basis points of the amount, and/or absolute minor units): paying at least `amount - tolerance` keeps it.

Rule (one definition, two forms proven equal by a property test):
- kept   when paid >= required, whatever the date (a promise can be kept early);
- broken when paid < required and as_of > promised_on + grace_days;
- else still pending.
`decide_promise` is the scalar form (one promise); `resolution_expr` the Polars form the nightly bulk
resolution uses on every pending promise at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import polars as pl

from cupx.domain.errors import InvalidTransition, ValidationError
from cupx.domain.money import check_currency

__all__ = [
    "Promise",
    "PromiseBroken",
    "PromiseCancelled",
    "PromiseKept",
    "PromiseMade",
    "PromisePolicy",
    "PromiseStatus",
    "decide_promise",
    "resolution_expr",
]


class PromiseStatus(StrEnum):
    PENDING = "pending"  # waiting for the promised date (plus grace)
    KEPT = "kept"  # enough was paid in time
    BROKEN = "broken"  # the date and grace passed without enough paid
    CANCELLED = "cancelled"  # withdrawn (superseded by a plan, recorded in error)


@dataclass(frozen=True, slots=True)
class PromisePolicy:
    grace_days: int = 3
    tolerance_bp: int = 500  # 5 %: paying 95 % of the promise keeps it
    tolerance_minor: int = 0  # an absolute tolerance; the larger of the two applies

    def __post_init__(self) -> None:
        if self.grace_days < 0 or not 0 <= self.tolerance_bp <= 10_000 or self.tolerance_minor < 0:
            raise ValidationError("grace and tolerances must be non-negative (tolerance_bp <= 10000)",
                                  field="promise_policy")

    def required(self, amount_minor: int) -> int:
        """The least payment that keeps a promise of `amount_minor`."""
        tolerance = max(amount_minor * self.tolerance_bp // 10_000, self.tolerance_minor)
        return max(amount_minor - tolerance, 1)


def decide_promise(amount_minor: int, paid_minor: int, promised_on: date, as_of: date,
                   policy: PromisePolicy) -> PromiseStatus:
    """Scalar form of the rule: kept, broken, or still pending."""
    if paid_minor >= policy.required(amount_minor):
        return PromiseStatus.KEPT
    if as_of > promised_on + timedelta(days=policy.grace_days):
        return PromiseStatus.BROKEN
    return PromiseStatus.PENDING


def resolution_expr(as_of: date, policy: PromisePolicy) -> pl.Expr:
    """Polars form of `decide_promise` over columns amount_minor, paid_minor, promised_on."""
    amount = pl.col("amount_minor")
    tolerance = pl.max_horizontal(amount * policy.tolerance_bp // 10_000, pl.lit(policy.tolerance_minor))
    required = pl.max_horizontal(amount - tolerance, pl.lit(1))
    deadline = pl.lit(as_of - timedelta(days=policy.grace_days))
    return (
        pl.when(pl.col("paid_minor") >= required).then(pl.lit(str(PromiseStatus.KEPT)))
        .when(pl.col("promised_on") < deadline).then(pl.lit(str(PromiseStatus.BROKEN)))
        .otherwise(pl.lit(str(PromiseStatus.PENDING)))
        .alias("new_status")
    )


@dataclass(frozen=True, slots=True)
class PromiseMade:
    promise_id: int
    customer_id: int
    debt_id: int | None
    amount_minor: int
    currency: str
    promised_on: date
    channel: str
    taken_by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PromiseKept:
    promise_id: int
    customer_id: int
    paid_minor: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PromiseBroken:
    promise_id: int
    customer_id: int
    paid_minor: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PromiseCancelled:
    promise_id: int
    customer_id: int
    reason: str
    at: datetime


@dataclass(slots=True)
class Promise:
    """A promise to pay; transitions are methods and each records a past-tense event."""

    customer_id: int
    amount_minor: int
    currency: str
    promised_on: date
    channel: str = "call"
    taken_by: str = "system"
    debt_id: int | None = None
    id: int = 0
    status: PromiseStatus = PromiseStatus.PENDING
    events: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int) or self.amount_minor <= 0:
            raise ValidationError("a promise amount must be positive minor units", field="amount_minor")
        self.status = PromiseStatus(self.status)

    def validate_new(self, today: date, max_days_ahead: int = 90) -> None:
        """A new promise falls between today and `max_days_ahead` days from now."""
        if self.promised_on < today:
            raise ValidationError("a promise cannot be dated in the past", field="promised_on")
        if self.promised_on > today + timedelta(days=max_days_ahead):
            raise ValidationError(f"a promise must fall within {max_days_ahead} days", field="promised_on")

    def made(self, at: datetime) -> PromiseMade:
        event = PromiseMade(self.id, self.customer_id, self.debt_id, self.amount_minor, self.currency,
                            self.promised_on, self.channel, self.taken_by, at)
        self.events.append(event)
        return event

    def _require_pending(self) -> None:
        if self.status != PromiseStatus.PENDING:
            raise InvalidTransition(f"promise {self.id} is already {self.status}", field="status")

    def keep(self, paid_minor: int, at: datetime) -> PromiseKept:
        self._require_pending()
        self.status = PromiseStatus.KEPT
        event = PromiseKept(self.id, self.customer_id, paid_minor, at)
        self.events.append(event)
        return event

    def break_(self, paid_minor: int, at: datetime) -> PromiseBroken:
        self._require_pending()
        self.status = PromiseStatus.BROKEN
        event = PromiseBroken(self.id, self.customer_id, paid_minor, at)
        self.events.append(event)
        return event

    def cancel(self, reason: str, at: datetime) -> PromiseCancelled:
        self._require_pending()
        self.status = PromiseStatus.CANCELLED
        event = PromiseCancelled(self.id, self.customer_id, reason, at)
        self.events.append(event)
        return event

"""Payment plans: schedules, policies per segment, and the plan's life (payments, misses, completion).

Concepts:
- `build_schedule(total, count, frequency, first_due_on)`: equal instalments (largest remainder, so
  the earliest carry the odd units) that add up exactly to `total`, due weekly, fortnightly or monthly
  from `first_due_on` (monthly keeps the day of month, clamped to short months).
- `PlanPolicy` per segment: maximum term (months), minimum instalment, plans allowed per 12 months.
  `check_plan` refuses a plan outside it with `PolicyViolation` naming the field.
- `MissPolicy`: the first miss is appended to the end of the plan (`append_first_miss`), and
  `break_after` consecutive misses break it. Re-ageing is offered after `reage_after` on-time payments.
- `Plan` holds the instalments; `apply_payment`, `process_due` and the status moves are methods that
  record past-tense events (PlanActivated, InstalmentMissed, PlanBroken, PlanCompleted, ...).

Invariants: sum(instalment amounts) == total at all times (appending a missed instalment moves its
amount, it does not add any); paid_minor <= amount on every instalment.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from cupx.domain.errors import InvalidTransition, PolicyViolation, ValidationError
from cupx.domain.money import allocate, check_currency

__all__ = [
    "DEFAULT_PLAN_POLICIES",
    "Frequency",
    "Instalment",
    "InstalmentMissed",
    "InstalmentStatus",
    "MissPolicy",
    "Plan",
    "PlanBroken",
    "PlanCancelled",
    "PlanCompleted",
    "PlanKind",
    "PlanPolicy",
    "PlanProposed",
    "PlanActivated",
    "PlanReaged",
    "PlanStatus",
    "add_months",
    "build_schedule",
    "check_plan",
    "instalments_in_term",
    "policy_for",
]


_E = TypeVar("_E")


class Frequency(StrEnum):
    WEEKLY = "weekly"  # every 7 days
    FORTNIGHTLY = "fortnightly"  # every 14 days
    MONTHLY = "monthly"  # same day each month (clamped to month end)

    @property
    def per_year(self) -> int:
        return {"weekly": 52, "fortnightly": 26, "monthly": 12}[self.value]


class PlanKind(StrEnum):
    PLAN = "plan"  # repay the balance in instalments
    SETTLEMENT = "settlement"  # pay less than the balance; the rest is written off on completion


class PlanStatus(StrEnum):
    PROPOSED = "proposed"  # quoted or drafted, not yet agreed
    PENDING_APPROVAL = "pending_approval"  # above the requester's authority: waits in the approval queue
    ACTIVE = "active"  # agreed and running
    COMPLETED = "completed"  # every instalment paid
    BROKEN = "broken"  # too many consecutive misses
    CANCELLED = "cancelled"  # withdrawn or refused before completion


class InstalmentStatus(StrEnum):
    DUE = "due"  # not yet paid in full
    PAID = "paid"  # paid in full
    MISSED = "missed"  # its date passed unpaid; its amount may have moved to the end
    DEFERRED = "deferred"  # moved to the end of the plan after a first miss


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, the day clamped to the target month's length."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(first_due_on: date, frequency: Frequency, index: int) -> date:
    if frequency == Frequency.MONTHLY:
        return add_months(first_due_on, index)
    return first_due_on + timedelta(days=(7 if frequency == Frequency.WEEKLY else 14) * index)


@dataclass(slots=True)
class Instalment:
    seq: int
    due_on: date
    amount_minor: int
    paid_minor: int = 0
    status: InstalmentStatus = InstalmentStatus.DUE
    paid_on: date | None = None
    id: int | None = None

    @property
    def outstanding(self) -> int:
        return self.amount_minor - self.paid_minor


def build_schedule(total_minor: int, count: int, frequency: Frequency, first_due_on: date) -> list[Instalment]:
    """Equal instalments summing exactly to `total_minor`."""
    if count < 1:
        raise ValidationError("a plan needs at least one instalment", field="instalment_count")
    if total_minor < count:
        raise ValidationError("each instalment must be at least one minor unit", field="instalment_count")
    amounts = allocate(total_minor, [1] * count)
    return [Instalment(i + 1, due_date(first_due_on, frequency, i), a) for i, a in enumerate(amounts)]


@dataclass(frozen=True, slots=True)
class PlanPolicy:
    max_term_months: int = 24
    min_instalment_minor: int = 1_000  # 10.00 in a two-decimal currency
    plans_per_year: int = 2
    allow_freeze: bool = True


@dataclass(frozen=True, slots=True)
class MissPolicy:
    append_first_miss: bool = True
    break_after: int = 2  # consecutive misses that break the plan
    reage_after: int = 3  # consecutive on-time instalments before re-ageing (0 = never)


DEFAULT_PLAN_POLICIES: Mapping[str, PlanPolicy] = {
    "default": PlanPolicy(),
    "vulnerable": PlanPolicy(max_term_months=60, min_instalment_minor=100, plans_per_year=4),
    "high_balance": PlanPolicy(max_term_months=36, min_instalment_minor=5_000, plans_per_year=2),
    "early_stage": PlanPolicy(max_term_months=12, min_instalment_minor=2_500, plans_per_year=1),
}


def policy_for(segment: str, policies: Mapping[str, PlanPolicy] = DEFAULT_PLAN_POLICIES) -> PlanPolicy:
    return policies.get(segment) or policies.get("default") or PlanPolicy()


def instalments_in_term(months: int, frequency: Frequency) -> int:
    """How many instalments of a frequency fit in a term of whole months."""
    if frequency == Frequency.MONTHLY:
        return months
    return months * frequency.per_year // 12


def check_plan(policy: PlanPolicy, total_minor: int, count: int, frequency: Frequency,
               plans_in_last_year: int, freeze_interest: bool = False) -> None:
    """Refuse a plan outside its segment's policy, naming the field at fault."""
    if count > instalments_in_term(policy.max_term_months, frequency):
        raise PolicyViolation(f"{count} {frequency} instalments exceed the {policy.max_term_months}-month maximum"
                              " term", field="instalment_count")
    smallest = total_minor // count
    if smallest < policy.min_instalment_minor:
        raise PolicyViolation(f"instalments of {smallest} are below the minimum of {policy.min_instalment_minor}",
                              field="instalment_count", details={"min_instalment_minor": policy.min_instalment_minor})
    if plans_in_last_year >= policy.plans_per_year:
        raise PolicyViolation(f"{plans_in_last_year} plans in the last 12 months; the policy allows"
                              f" {policy.plans_per_year}", field="customer_id")
    if freeze_interest and not policy.allow_freeze:
        raise PolicyViolation("this segment does not allow an interest freeze", field="freeze_interest")


@dataclass(frozen=True, slots=True)
class PlanProposed:
    plan_id: int
    kind: str
    total_minor: int
    currency: str
    instalments: int
    frequency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanActivated:
    plan_id: int
    approved_by: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class InstalmentMissed:
    plan_id: int
    seq: int
    appended_as: int | None  # the new instalment's seq when moved to the end
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanBroken:
    plan_id: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanCompleted:
    plan_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanCancelled:
    plan_id: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanReaged:
    plan_id: int
    on_time_payments: int
    at: datetime


@dataclass(slots=True)
class Plan:
    """A plan or settlement and its instalments."""

    customer_id: int
    currency: str
    frequency: Frequency
    instalments: list[Instalment]
    kind: PlanKind = PlanKind.PLAN
    status: PlanStatus = PlanStatus.PROPOSED
    id: int = 0
    debt_id: int | None = None
    consecutive_misses: int = 0
    consecutive_on_time: int = 0
    reaged: bool = False
    events: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        self.frequency, self.kind, self.status = Frequency(self.frequency), PlanKind(self.kind), PlanStatus(self.status)

    @property
    def total_minor(self) -> int:
        return sum(i.amount_minor for i in self.instalments)

    @property
    def paid_minor(self) -> int:
        return sum(i.paid_minor for i in self.instalments)

    def _move(self, allowed: set[PlanStatus], target: PlanStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"plan {self.id} cannot move from {self.status} to {target}", field="status",
                                    details={"from": str(self.status), "to": str(target)})
        self.status = target

    def require_approval(self) -> None:
        self._move({PlanStatus.PROPOSED}, PlanStatus.PENDING_APPROVAL)

    def activate(self, at: datetime, approved_by: str | None = None) -> PlanActivated:
        self._move({PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL}, PlanStatus.ACTIVE)
        return self._emit(PlanActivated(self.id, approved_by, at))

    def cancel(self, at: datetime, reason: str) -> PlanCancelled:
        self._move({PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE}, PlanStatus.CANCELLED)
        return self._emit(PlanCancelled(self.id, reason, at))

    def _emit(self, event: _E) -> _E:
        self.events.append(event)
        return event

    def apply_payment(self, amount_minor: int, on: date, at: datetime, miss_policy: MissPolicy) -> int:
        """Fill open instalments oldest first; return what the plan could not take."""
        if self.status != PlanStatus.ACTIVE:
            return amount_minor
        left = amount_minor
        for inst in self.instalments:
            if left == 0:
                break
            if inst.outstanding <= 0:  # paid, or a miss whose amount moved to the end
                continue
            take = min(left, inst.outstanding)
            inst.paid_minor += take
            left -= take
            if inst.outstanding == 0:
                self._instalment_paid(inst, on, miss_policy, at)
        if all(i.outstanding <= 0 for i in self.instalments):
            self.status = PlanStatus.COMPLETED
            self._emit(PlanCompleted(self.id, at))
        return left

    def _instalment_paid(self, inst: Instalment, on: date, miss_policy: MissPolicy, at: datetime) -> None:
        inst.status, inst.paid_on = InstalmentStatus.PAID, on
        self.consecutive_misses = 0
        if on <= inst.due_on:
            self.consecutive_on_time += 1
        else:
            self.consecutive_on_time = 0
        if (miss_policy.reage_after and not self.reaged and self.kind == PlanKind.PLAN
                and self.consecutive_on_time >= miss_policy.reage_after):
            self.reaged = True
            self._emit(PlanReaged(self.id, self.consecutive_on_time, at))

    def unapply_payment(self, amount_minor: int) -> None:
        """A reversed payment takes back what it paid, newest instalment first."""
        left = amount_minor
        for inst in sorted(self.instalments, key=lambda i: -i.seq):
            take = min(left, inst.paid_minor)
            if take:
                inst.paid_minor -= take
                left -= take
                if inst.status == InstalmentStatus.PAID and inst.outstanding > 0:
                    inst.status, inst.paid_on = InstalmentStatus.DUE, None
        if self.status == PlanStatus.COMPLETED and self.paid_minor < self.total_minor:
            self.status = PlanStatus.ACTIVE

    def defer(self, starts_on: date, days: int) -> int:
        """A hold (payment holiday, breathing space) pushes every unpaid instalment due from
        `starts_on` on back by `days`; returns how many moved. The total is unchanged."""
        if self.status != PlanStatus.ACTIVE or days <= 0:
            return 0
        moved = 0
        for inst in self.instalments:
            if inst.outstanding > 0 and inst.due_on >= starts_on \
                    and inst.status in (InstalmentStatus.DUE, InstalmentStatus.DEFERRED):
                inst.due_on += timedelta(days=days)
                moved += 1
        return moved

    def process_due(self, as_of: date, at: datetime, policy: MissPolicy) -> list[object]:
        """Mark instalments due before `as_of` and unpaid as missed; append or break per policy."""
        before = len(self.events)
        if self.status != PlanStatus.ACTIVE:
            return []
        for inst in sorted(self.instalments, key=lambda i: i.seq):
            if self.status != PlanStatus.ACTIVE:
                break
            if inst.status in (InstalmentStatus.DUE, InstalmentStatus.DEFERRED) and inst.due_on < as_of \
                    and inst.outstanding > 0:
                self._miss(inst, at, policy)
        return self.events[before:]

    def _miss(self, inst: Instalment, at: datetime, policy: MissPolicy) -> None:
        self.consecutive_misses += 1
        self.consecutive_on_time = 0
        inst.status = InstalmentStatus.MISSED
        if self.consecutive_misses >= policy.break_after:
            self.status = PlanStatus.BROKEN
            self._emit(InstalmentMissed(self.id, inst.seq, None, at))
            self._emit(PlanBroken(self.id, f"{self.consecutive_misses} consecutive missed instalments", at))
            return
        appended = None
        if policy.append_first_miss:
            appended = self._append(inst)
        self._emit(InstalmentMissed(self.id, inst.seq, appended, at))

    def _append(self, missed: Instalment) -> int:
        """Move the missed instalment's unpaid amount to a new one after the last."""
        last = max(self.instalments, key=lambda i: i.seq)
        moved = missed.outstanding
        missed.amount_minor = missed.paid_minor  # its unpaid part now lives at the end; the total is unchanged
        seq = last.seq + 1
        nxt = due_date(last.due_on, self.frequency, 1)
        self.instalments.append(Instalment(seq, nxt, moved, status=InstalmentStatus.DEFERRED))
        return seq

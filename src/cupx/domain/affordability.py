"""Affordability: what a customer can pay, from an income-and-expenditure (I&E) statement.

Concepts:
- An `IEStatement` gives monthly income and expenditure lines in one currency. Disposable income is
  income minus expenditure (never below zero for offering purposes).
- `AffordabilityPolicy.share_bp` is the part of disposable income a plan may take (the rest is a
  buffer for other creditors and the unexpected). The maximum instalment per frequency converts the
  monthly figure exactly in integers, rounding down (weekly = monthly * 12 // 52).
- `check_affordable` refuses an instalment above the maximum with the reason; `affordable_plans`
  offers, per frequency, the shortest plan that is both affordable and within the segment's policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from cupx.domain.errors import PolicyViolation, ValidationError
from cupx.domain.money import check_currency
from cupx.domain.plans import Frequency, PlanPolicy, build_schedule, instalments_in_term

__all__ = [
    "AffordabilityPolicy",
    "IEStatement",
    "PlanQuote",
    "affordable_plans",
    "check_affordable",
    "max_instalment",
]


@dataclass(frozen=True, slots=True)
class IEStatement:
    """Monthly income and expenditure; `lines` keeps the categories the customer gave."""

    currency: str
    income_minor: int
    expenditure_minor: int
    lines: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        for name in ("income_minor", "expenditure_minor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"{name} must be non-negative minor units", field=name)

    @classmethod
    def from_lines(cls, currency: str, income: Mapping[str, int], expenditure: Mapping[str, int]) -> IEStatement:
        for name, value in {**income, **expenditure}.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError("I&E lines must be non-negative minor units", field=f"lines.{name}")
        lines = {f"income.{k}": v for k, v in income.items()} | {f"expenditure.{k}": v for k, v in expenditure.items()}
        return cls(currency, sum(income.values()), sum(expenditure.values()), lines)

    @property
    def disposable_minor(self) -> int:
        return self.income_minor - self.expenditure_minor


@dataclass(frozen=True, slots=True)
class AffordabilityPolicy:
    share_bp: int = 10_000  # the share of disposable income a plan may take


def max_instalment(statement: IEStatement, frequency: Frequency, policy: AffordabilityPolicy) -> int:
    """The largest affordable instalment at a frequency, in minor units (0 when nothing is disposable)."""
    monthly = max(statement.disposable_minor, 0) * policy.share_bp // 10_000
    return monthly * 12 // frequency.per_year


def check_affordable(statement: IEStatement, instalment_minor: int, frequency: Frequency,
                     policy: AffordabilityPolicy) -> None:
    limit = max_instalment(statement, frequency, policy)
    if instalment_minor > limit:
        raise PolicyViolation(
            f"an instalment of {instalment_minor} is above the {limit} the customer can afford {frequency}"
            f" (disposable income {statement.disposable_minor} a month)",
            field="instalment_count",
            details={"max_instalment_minor": limit, "disposable_minor": statement.disposable_minor},
        )


@dataclass(frozen=True, slots=True)
class PlanQuote:
    frequency: Frequency
    instalment_count: int
    instalment_minor: int  # the largest instalment (the first, when the split is uneven)
    total_minor: int
    first_due_on: date
    last_due_on: date


def _quote(total: int, count: int, frequency: Frequency, first_due_on: date) -> PlanQuote:
    schedule = build_schedule(total, count, frequency, first_due_on)
    return PlanQuote(frequency, count, schedule[0].amount_minor, total, first_due_on, schedule[-1].due_on)


def affordable_plans(total_minor: int, statement: IEStatement | None, plan_policy: PlanPolicy,
                     first_due_on: date, policy: AffordabilityPolicy | None = None) -> list[PlanQuote]:
    """Per frequency, the shortest plan within policy whose instalment the customer can afford."""
    if total_minor <= 0:
        return []
    policy = policy or AffordabilityPolicy()
    quotes = []
    for frequency in Frequency:
        limit = max_instalment(statement, frequency, policy) if statement else total_minor
        if limit <= 0:
            continue
        count = max(-(-total_minor // limit), 1)  # ceil: the fewest instalments no larger than the limit
        if count > instalments_in_term(plan_policy.max_term_months, frequency):
            continue
        if total_minor // count < plan_policy.min_instalment_minor and count > 1:
            continue
        quotes.append(_quote(total_minor, count, frequency, first_due_on))
    return quotes

"""A debt: one account in collection, owed by one customer to one creditor.

Invariants:
- `external_id` is the creditor's identifier and is unique per tenant; `id` is CU-PX's own.
- The due schedule lists instalments by due date; amounts are positive minor units in the debt's
  currency. Days past due are derived, never stored: the oldest instalment not covered by net
  payments (payments less their reversals) sets the DPD (see `days_past_due`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cupx.domain.errors import ValidationError
from cupx.domain.money import Money, check_currency

__all__ = ["Debt", "DueInstalment", "ProductKind", "days_past_due", "oldest_unpaid_due"]


class ProductKind(StrEnum):
    CREDIT_CARD = "credit_card"  # revolving card balance
    PERSONAL_LOAN = "personal_loan"  # unsecured instalment loan
    AUTO_LOAN = "auto_loan"  # secured vehicle loan
    STUDENT_LOAN = "student_loan"  # may be serviced under one account number (RULES.md 7.1)
    MORTGAGE = "mortgage"  # secured on a home
    MEDICAL = "medical"  # healthcare bill
    TELECOM = "telecom"  # phone or internet service
    UTILITY = "utility"  # energy or water service
    B2B_INVOICE = "b2b_invoice"  # a business customer's unpaid invoice
    BNPL = "bnpl"  # buy now, pay later
    OTHER = "other"  # anything else


@dataclass(frozen=True, slots=True)
class DueInstalment:
    """An amount that falls due on a date."""

    due_on: date
    amount_minor: int

    def __post_init__(self) -> None:
        if self.amount_minor <= 0:
            raise ValidationError("a due amount must be positive", field="amount_minor")


@dataclass(slots=True)
class Debt:
    """An account in collection. Money figures derive from its ledger entries."""

    external_id: str
    customer_id: int | str
    creditor: str
    product: ProductKind
    currency: str
    original_minor: int
    jurisdiction: str = "US"
    due_schedule: tuple[DueInstalment, ...] = ()
    charge_off_date: date | None = None
    sol_date: date | None = None  # statute-of-limitations date; after it the debt is time-barred
    id: int | None = None
    opened_on: date | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.external_id:
            raise ValidationError("external_id is required", field="external_id")
        check_currency(self.currency)
        if self.original_minor < 0:
            raise ValidationError("original amount must not be negative", field="original_amount")
        dates = [i.due_on for i in self.due_schedule]
        if dates != sorted(dates):
            raise ValidationError("due schedule must be in date order", field="due_schedule")

    @property
    def original(self) -> Money:
        return Money(self.original_minor, self.currency)

    def is_time_barred(self, on: date) -> bool:
        return self.sol_date is not None and on > self.sol_date


def oldest_unpaid_due(schedule: Sequence[DueInstalment], net_paid_minor: int, as_of: date) -> date | None:
    """The due date of the oldest instalment, due by `as_of`, that net payments have not covered.

    Payments cover instalments oldest first (FIFO), which is how arrears age in collections.
    """
    covered = net_paid_minor
    for inst in schedule:
        if inst.due_on > as_of:
            return None
        if covered >= inst.amount_minor:
            covered -= inst.amount_minor
            continue
        return inst.due_on
    return None


def days_past_due(schedule: Sequence[DueInstalment], net_paid_minor: int, as_of: date,
                  balance_minor: int | None = None) -> int:
    """Days the oldest unpaid instalment is overdue as of a date; 0 when nothing is overdue.

    A debt whose balance is paid off (`balance_minor <= 0`) is never past due, even if its schedule
    was larger than what was finally owed (a settlement, a write-off).
    """
    if balance_minor is not None and balance_minor <= 0:
        return 0
    due = oldest_unpaid_due(schedule, net_paid_minor, as_of)
    return 0 if due is None else (as_of - due).days

"""Payments and their allocation across a customer's debts (RULES.md R-17, Reg F §1006.30(c)).

Concepts:
- A `DebtPosition` is what allocation needs to know of one debt: its balance (minor units, positive =
  owed), its currency, whether the customer disputes it, and a sort key for the configured order.
- `allocate_payment` splits a payment: first as the customer instructed, then the rest by the
  configured `AllocationOrder` over the debts that remain.

Invariants (property-tested):
- parts + credit == amount, exactly; every part is > 0.
- a part never exceeds what its debt owes (never overpay a debt); what no debt can take is `credit`,
  held for the customer, never lost.
- a payment that spans several debts is never applied to a disputed debt (R-17), even when
  instructed; a payment made on one named debt (the customer's own direction) may be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from cupx.domain.errors import InvalidTransition, ValidationError
from cupx.domain.money import allocate, allocate_in_order, check_currency

__all__ = [
    "Allocation",
    "AllocationOrder",
    "DebtPosition",
    "Payment",
    "PaymentMethod",
    "PaymentPosted",
    "PaymentReversed",
    "PaymentStatus",
    "allocate_payment",
]


class PaymentStatus(StrEnum):
    POSTED = "posted"  # applied to the ledger
    REVERSED = "reversed"  # returned, charged back or posted in error; its entries are reversed


class PaymentMethod(StrEnum):
    CARD = "card"  # debit or credit card
    ACH = "ach"  # US bank debit
    BANK_TRANSFER = "bank_transfer"  # push payment from the customer's bank
    CHECK = "check"  # paper cheque
    CASH = "cash"  # at a counter
    OTHER = "other"  # anything else a processor reports


class AllocationOrder(StrEnum):
    OLDEST_FIRST = "oldest_first"  # by the debt's age key (charge-off or opening date), then id
    SMALLEST_FIRST = "smallest_first"  # clears small debts first: fewer open accounts
    LARGEST_FIRST = "largest_first"  # reduces the largest exposure first
    PROPORTIONAL = "proportional"  # in proportion to each balance (largest remainder, exact)


@dataclass(frozen=True, slots=True)
class DebtPosition:
    debt_id: int
    balance_minor: int
    currency: str
    disputed: bool = False
    age_key: date | None = None  # older debts sort first under OLDEST_FIRST

    @property
    def owed(self) -> int:
        return max(self.balance_minor, 0)


@dataclass(frozen=True, slots=True)
class Allocation:
    """Minor units per debt id (only non-zero parts) and the credit left over."""

    parts: dict[int, int]
    credit: int

    @property
    def total(self) -> int:
        return sum(self.parts.values()) + self.credit


def _ordered(positions: Sequence[DebtPosition], order: AllocationOrder) -> list[DebtPosition]:
    if order == AllocationOrder.SMALLEST_FIRST:
        return sorted(positions, key=lambda p: (p.owed, p.debt_id))
    if order == AllocationOrder.LARGEST_FIRST:
        return sorted(positions, key=lambda p: (-p.owed, p.debt_id))
    return sorted(positions, key=lambda p: (p.age_key or date.min, p.debt_id))


def _by_order(amount: int, positions: Sequence[DebtPosition], order: AllocationOrder) -> tuple[dict[int, int], int]:
    chosen = [p for p in _ordered(positions, order) if p.owed > 0]
    if not chosen or amount == 0:
        return {}, amount
    if order == AllocationOrder.PROPORTIONAL:
        total_owed = sum(p.owed for p in chosen)
        take = min(amount, total_owed)
        split = allocate(take, [p.owed for p in chosen])  # never above a balance: take <= total owed
        return {p.debt_id: s for p, s in zip(chosen, split, strict=True) if s}, amount - take
    parts, left = allocate_in_order(amount, [p.owed for p in chosen])
    return {p.debt_id: s for p, s in zip(chosen, parts, strict=True) if s}, left


def _check_instructions(instructions: Mapping[int, int], by_id: Mapping[int, DebtPosition], amount: int,
                        single: bool) -> None:
    for debt_id, part in instructions.items():
        pos = by_id.get(debt_id)
        if pos is None:
            raise ValidationError(f"debt {debt_id} is not one of the customer's debts", field=f"allocation.{debt_id}")
        if isinstance(part, bool) or not isinstance(part, int) or part < 0:
            raise ValidationError("an allocated amount must be whole, non-negative minor units",
                                  field=f"allocation.{debt_id}")
        if pos.disputed and part and not single:
            raise ValidationError(f"debt {debt_id} is disputed; a payment on several debts is never applied to it"
                                  " (R-17)", field=f"allocation.{debt_id}")
        if part > pos.owed:
            raise ValidationError(f"{part} exceeds the {pos.owed} owed on debt {debt_id}",
                                  field=f"allocation.{debt_id}")
    if sum(instructions.values()) > amount:
        raise ValidationError("the allocation adds up to more than the payment", field="allocation")


def allocate_payment(amount_minor: int, currency: str, positions: Sequence[DebtPosition],
                     instructions: Mapping[int, int] | None = None,
                     order: AllocationOrder = AllocationOrder.OLDEST_FIRST) -> Allocation:
    """Split a payment over debts: the customer's directions first, then `order`; the rest is credit.

    With exactly one position the payment is the customer's own direction to that debt, so a dispute
    does not stop it; with several, disputed debts are left out (R-17).
    """
    check_currency(currency)
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValidationError("a payment amount must be positive minor units", field="amount_minor")
    for p in positions:
        if p.currency != currency:
            raise ValidationError(f"debt {p.debt_id} is in {p.currency}, the payment in {currency}",
                                  field="currency")
    single = len(positions) == 1
    by_id = {p.debt_id: p for p in positions}
    instructed = dict(instructions or {})
    _check_instructions(instructed, by_id, amount_minor, single)
    parts = {d: a for d, a in instructed.items() if a}
    rest = amount_minor - sum(parts.values())
    remaining = [DebtPosition(p.debt_id, p.owed - parts.get(p.debt_id, 0), p.currency, p.disputed, p.age_key)
                 for p in positions if single or not p.disputed]
    extra, credit = _by_order(rest, remaining, order)
    for debt_id, part in extra.items():
        parts[debt_id] = parts.get(debt_id, 0) + part
    return Allocation(parts=parts, credit=credit)


@dataclass(frozen=True, slots=True)
class PaymentPosted:
    payment_id: int
    customer_id: int
    amount_minor: int
    currency: str
    parts: dict[int, int]
    credit_minor: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentReversed:
    payment_id: int
    customer_id: int
    amount_minor: int
    currency: str
    reason: str
    at: datetime


@dataclass(slots=True)
class Payment:
    """A payment received; `reverse` is its only transition and records why."""

    id: int
    customer_id: int
    amount_minor: int
    currency: str
    status: PaymentStatus = PaymentStatus.POSTED
    events: list[object] = field(default_factory=list)

    def reverse(self, at: datetime, reason: str) -> PaymentReversed:
        if self.status != PaymentStatus.POSTED:
            raise InvalidTransition(f"payment {self.id} is already {self.status}", field="status")
        if not reason:
            raise ValidationError("a reversal needs a reason", field="reason")
        self.status = PaymentStatus.REVERSED
        event = PaymentReversed(self.id, self.customer_id, self.amount_minor, self.currency, reason, at)
        self.events.append(event)
        return event

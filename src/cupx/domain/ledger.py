"""The ledger: append-only entries per debt, from which balances are derived.

Concepts:
- An entry has a kind (charge, fee, interest, payment, reversal, adjustment, write_off), a positive
  amount in minor units (adjustments are signed), an effective date and a posting sequence.
- `signed_minor(entry)` is the entry's effect on the balance: charges, fees and interest add; payments
  and write-offs subtract; an adjustment carries its own sign; a reversal undoes its target entry.
- `derive_balance(entries, as_of, order)` replays entries effective on or before `as_of` in
  (effective_date, seq) order and returns the balance per component. Payments are split across
  components by the allocation order (fees, interest, principal by default); whatever exceeds the
  amount owed is held as `credit`, never lost.

Invariant (property-tested): `balance.total == sum(signed_minor(e))` over the entries replayed, after
any sequence of postings and reversals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from cupx.domain.errors import ValidationError
from cupx.domain.money import allocate_in_order, check_currency

__all__ = [
    "DEFAULT_ALLOCATION_ORDER",
    "Balance",
    "Component",
    "EntryKind",
    "LedgerEntry",
    "derive_balance",
    "signed_minor",
]


class EntryKind(StrEnum):
    CHARGE = "charge"  # principal owed (purchase, loan drawdown, the charged-off amount)
    FEE = "fee"  # a fee owed
    INTEREST = "interest"  # interest accrued
    PAYMENT = "payment"  # money received from the customer
    REVERSAL = "reversal"  # undoes one earlier entry (returned payment, mistaken charge)
    ADJUSTMENT = "adjustment"  # a signed correction to one component
    WRITE_OFF = "write_off"  # the creditor gives up on an amount (settlement remainder, bad debt)


class Component(StrEnum):
    PRINCIPAL = "principal"  # the debt itself
    INTEREST = "interest"  # accrued interest
    FEES = "fees"  # fees and charges


DEFAULT_ALLOCATION_ORDER: tuple[Component, ...] = (Component.FEES, Component.INTEREST, Component.PRINCIPAL)

_CHARGE_COMPONENT = {
    EntryKind.CHARGE: Component.PRINCIPAL,
    EntryKind.FEE: Component.FEES,
    EntryKind.INTEREST: Component.INTEREST,
}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One immutable ledger line. `seq` orders entries posted on the same effective date."""

    entry_id: str
    debt_id: int | str
    kind: EntryKind
    amount_minor: int
    currency: str
    effective_date: date
    seq: int = 0
    component: Component | None = None  # for adjustments; implied for charge, fee, interest
    reverses: str | None = None  # entry_id of the reversed entry
    posted_at: datetime | None = None
    external_id: str | None = None
    memo: str = ""

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise ValidationError("amount must be whole minor units", field="amount_minor")
        if self.kind == EntryKind.ADJUSTMENT:
            if self.component is None:
                raise ValidationError("an adjustment names its component", field="component")
        elif self.amount_minor <= 0:
            raise ValidationError(f"a {self.kind} amount must be positive", field="amount_minor")
        if self.kind == EntryKind.REVERSAL and not self.reverses:
            raise ValidationError("a reversal names the entry it reverses", field="reverses")
        if self.posted_at is not None and self.posted_at.tzinfo is None:
            raise ValidationError("posted_at must be timezone-aware", field="posted_at")


@dataclass(slots=True)
class Balance:
    """Amount owed per component, plus any credit held from overpayment."""

    currency: str
    principal: int = 0
    interest: int = 0
    fees: int = 0
    credit: int = 0
    paid: int = 0  # payments net of their reversals
    written_off: int = 0
    _payment_splits: dict[str, dict[Component, int]] = field(default_factory=dict, repr=False)

    @property
    def total(self) -> int:
        """What the customer owes now; negative when a credit exceeds the debt."""
        return self.principal + self.interest + self.fees - self.credit

    def get(self, component: Component) -> int:
        return int(getattr(self, component.value))

    def _add(self, component: Component, amount: int) -> None:
        setattr(self, component.value, self.get(component) + amount)


def signed_minor(entry: LedgerEntry, by_id: dict[str, LedgerEntry] | None = None) -> int:
    """The entry's effect on the total balance (a reversal needs `by_id` to find its target)."""
    if entry.kind in _CHARGE_COMPONENT:
        return entry.amount_minor
    if entry.kind in (EntryKind.PAYMENT, EntryKind.WRITE_OFF):
        return -entry.amount_minor
    if entry.kind == EntryKind.ADJUSTMENT:
        return entry.amount_minor
    if by_id is None or entry.reverses not in by_id:
        raise ValidationError(f"reversal {entry.entry_id} targets unknown entry {entry.reverses}", field="reverses")
    return -signed_minor(by_id[entry.reverses], by_id)


def _reduce(balance: Balance, amount: int, order: Sequence[Component]) -> dict[Component, int]:
    parts, left = allocate_in_order(amount, [balance.get(c) for c in order])
    split = {}
    for comp, part in zip(order, parts, strict=True):
        if part:
            balance._add(comp, -part)
            split[comp] = part
    balance.credit += left  # overpayment is held as credit, never lost
    return split


def derive_balance(
    entries: Iterable[LedgerEntry],
    as_of: date | None = None,
    order: Sequence[Component] = DEFAULT_ALLOCATION_ORDER,
) -> Balance:
    """Replay entries effective on or before `as_of` and return the balance per component."""
    chosen = sorted(
        (e for e in entries if as_of is None or e.effective_date <= as_of),
        key=lambda e: (e.effective_date, e.seq, e.entry_id),
    )
    if not chosen:
        raise ValidationError("no ledger entries to derive a balance from", field="entries")
    currency = chosen[0].currency
    bal = Balance(currency=currency)
    by_id: dict[str, LedgerEntry] = {}
    reversed_ids: set[str] = set()
    for e in chosen:
        if e.currency != currency:
            raise ValidationError(f"entry {e.entry_id} is in {e.currency}, the debt in {currency}", field="currency")
        by_id[e.entry_id] = e
        _apply(bal, e, by_id, reversed_ids, order)
    return bal


def _apply(bal: Balance, e: LedgerEntry, by_id: dict[str, LedgerEntry], reversed_ids: set[str],
           order: Sequence[Component]) -> None:
    if e.kind in _CHARGE_COMPONENT:
        _absorb_credit_then_add(bal, _CHARGE_COMPONENT[e.kind], e.amount_minor)
    elif e.kind == EntryKind.PAYMENT:
        bal._payment_splits[e.entry_id] = _reduce(bal, e.amount_minor, order)
        bal.paid += e.amount_minor
    elif e.kind == EntryKind.WRITE_OFF:
        _reduce(bal, e.amount_minor, (Component.PRINCIPAL, Component.INTEREST, Component.FEES))
        bal.written_off += e.amount_minor
    elif e.kind == EntryKind.ADJUSTMENT:
        assert e.component is not None
        if e.amount_minor >= 0:
            _absorb_credit_then_add(bal, e.component, e.amount_minor)
        else:
            _reduce(bal, -e.amount_minor, (e.component, *[c for c in order if c != e.component]))
    else:
        _apply_reversal(bal, e, by_id, reversed_ids, order)


def _absorb_credit_then_add(bal: Balance, comp: Component, amount: int) -> None:
    """A new charge first consumes any credit held, so credit and debt never coexist."""
    used = min(bal.credit, amount)
    bal.credit -= used
    bal._add(comp, amount - used)


def _apply_reversal(bal: Balance, e: LedgerEntry, by_id: dict[str, LedgerEntry], reversed_ids: set[str],
                    order: Sequence[Component]) -> None:
    target = by_id.get(e.reverses or "")
    if target is None:
        raise ValidationError(f"reversal {e.entry_id} targets unknown or later entry {e.reverses}", field="reverses")
    if target.entry_id in reversed_ids:
        raise ValidationError(f"entry {target.entry_id} is already reversed", field="reverses")
    if target.kind == EntryKind.REVERSAL:
        raise ValidationError("a reversal cannot itself be reversed; post the entry again", field="reverses")
    reversed_ids.add(target.entry_id)
    if target.kind == EntryKind.PAYMENT:
        split = bal._payment_splits.get(target.entry_id, {})
        from_components = sum(split.values())
        for comp, part in split.items():
            bal._add(comp, part)
        # The part of the payment that became credit comes back out of the credit first; if the credit
        # was since consumed by new charges, the remainder is owed again as principal.
        rest = target.amount_minor - from_components
        from_credit = min(bal.credit, rest)
        bal.credit -= from_credit
        bal._add(Component.PRINCIPAL, rest - from_credit)
        bal.paid -= target.amount_minor
        if bal.credit:
            # Credit from other payments now pays the restored components, so credit and debt never coexist.
            held, bal.credit = bal.credit, 0
            _reduce(bal, held, order)
    elif target.kind == EntryKind.WRITE_OFF:
        _absorb_credit_then_add(bal, Component.PRINCIPAL, target.amount_minor)
        bal.written_off -= target.amount_minor
    else:
        amount = signed_minor(target, by_id)
        comp = _CHARGE_COMPONENT.get(target.kind, target.component or Component.PRINCIPAL)
        if amount >= 0:
            _reduce(bal, amount, (comp, *[c for c in order if c != comp]))
        else:
            _absorb_credit_then_add(bal, comp, -amount)

"""Ledger: balances per component derived from entries; the total always equals the sum of signed entries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.errors import ValidationError
from cupx.domain.ledger import Component, EntryKind, LedgerEntry, derive_balance, signed_minor

D0 = date(2026, 1, 1)


def entry(n: int, kind: EntryKind, amount: int, *, day: int = 0, component: Component | None = None,
          reverses: str | None = None) -> LedgerEntry:
    return LedgerEntry(entry_id=f"E{n}", debt_id=1, kind=kind, amount_minor=amount, currency="USD",
                       effective_date=D0 + timedelta(days=day), seq=n, component=component, reverses=reverses)


def test_payment_goes_to_fees_then_interest_then_principal() -> None:
    entries = [entry(1, EntryKind.CHARGE, 10_000), entry(2, EntryKind.FEE, 2_500), entry(3, EntryKind.INTEREST, 1_000),
               entry(4, EntryKind.PAYMENT, 3_000, day=1)]
    bal = derive_balance(entries)
    assert (bal.fees, bal.interest, bal.principal, bal.paid) == (0, 500, 10_000, 3_000)
    assert bal.total == 10_500


def test_reversal_of_a_payment_restores_the_components() -> None:
    entries = [entry(1, EntryKind.CHARGE, 10_000), entry(2, EntryKind.FEE, 2_500),
               entry(3, EntryKind.PAYMENT, 3_000, day=1), entry(4, EntryKind.REVERSAL, 3_000, day=2, reverses="E3")]
    bal = derive_balance(entries)
    assert (bal.fees, bal.principal, bal.paid, bal.total) == (2_500, 10_000, 0, 12_500)


def test_overpayment_is_credit_and_later_charges_absorb_it() -> None:
    entries = [entry(1, EntryKind.CHARGE, 1_000), entry(2, EntryKind.PAYMENT, 1_500, day=1)]
    assert derive_balance(entries).credit == 500 and derive_balance(entries).total == -500
    bal = derive_balance([*entries, entry(3, EntryKind.FEE, 200, day=2)])
    assert (bal.credit, bal.fees, bal.total) == (300, 0, -300)


def test_as_of_ignores_later_entries() -> None:
    entries = [entry(1, EntryKind.CHARGE, 1_000), entry(2, EntryKind.PAYMENT, 400, day=10)]
    assert derive_balance(entries, as_of=D0 + timedelta(days=9)).total == 1_000
    assert derive_balance(entries, as_of=D0 + timedelta(days=10)).total == 600


def test_bad_reversals_are_refused() -> None:
    base = [entry(1, EntryKind.CHARGE, 1_000), entry(2, EntryKind.REVERSAL, 1_000, day=1, reverses="E1")]
    with pytest.raises(ValidationError, match="already reversed"):
        derive_balance([*base, entry(3, EntryKind.REVERSAL, 1_000, day=2, reverses="E1")])
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        derive_balance([*base, entry(3, EntryKind.REVERSAL, 1_000, day=2, reverses="E2")])
    with pytest.raises(ValidationError, match="unknown or later"):
        derive_balance([entry(1, EntryKind.REVERSAL, 5, reverses="E9")])


def test_entry_invariants() -> None:
    with pytest.raises(ValidationError):
        entry(1, EntryKind.PAYMENT, -5)
    with pytest.raises(ValidationError):
        entry(1, EntryKind.ADJUSTMENT, -5)  # no component
    with pytest.raises(ValidationError):
        entry(1, EntryKind.REVERSAL, 5)  # no target


@st.composite
def histories(draw: st.DrawFn) -> list[LedgerEntry]:
    """Postings and reversals in posting order; a reversal targets an earlier, unreversed, non-reversal entry."""
    out = [entry(0, EntryKind.CHARGE, draw(st.integers(1, 10**7)))]
    reversible = ["E0"]
    for n in range(1, draw(st.integers(1, 25))):
        day = n // 3
        if reversible and draw(st.booleans()) and draw(st.booleans()):
            target = draw(st.sampled_from(reversible))
            reversible.remove(target)
            amount = abs(next(e for e in out if e.entry_id == target).amount_minor) or 1
            out.append(entry(n, EntryKind.REVERSAL, amount, day=day, reverses=target))
            continue
        kind = draw(st.sampled_from([EntryKind.CHARGE, EntryKind.FEE, EntryKind.INTEREST, EntryKind.PAYMENT,
                                     EntryKind.WRITE_OFF, EntryKind.ADJUSTMENT]))
        if kind == EntryKind.ADJUSTMENT:
            amount = draw(st.integers(-10**6, 10**6).filter(bool))
            out.append(entry(n, kind, amount, day=day, component=draw(st.sampled_from(list(Component)))))
        else:
            out.append(entry(n, kind, draw(st.integers(1, 10**6)), day=day))
        reversible.append(f"E{n}")
    return out


@settings(max_examples=300, deadline=None)
@given(entries=histories())
def test_balance_equals_sum_of_signed_entries(entries: list[LedgerEntry]) -> None:
    by_id = {e.entry_id: e for e in entries}
    bal = derive_balance(entries)
    assert bal.total == sum(signed_minor(e, by_id) for e in entries)
    assert min(bal.principal, bal.interest, bal.fees, bal.credit) >= 0
    assert bal.credit == 0 or bal.principal + bal.interest + bal.fees == 0  # credit and debt never coexist

"""Allocation of a payment across debts (R-17): exact, never over a balance, disputes respected."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.errors import ValidationError
from cupx.domain.payments import AllocationOrder, DebtPosition, allocate_payment

positions_st = st.lists(
    st.builds(DebtPosition, debt_id=st.integers(1, 10_000), balance_minor=st.integers(-5_000, 1_000_000),
              currency=st.just("USD"), disputed=st.booleans(),
              age_key=st.dates(date(2015, 1, 1), date(2026, 1, 1)) | st.none()),
    min_size=1, max_size=6, unique_by=lambda p: p.debt_id)


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(1, 3_000_000), positions=positions_st, order=st.sampled_from(AllocationOrder))
def test_allocation_is_exact_and_never_overpays(amount: int, positions: list[DebtPosition],
                                                order: AllocationOrder) -> None:
    result = allocate_payment(amount, "USD", positions, order=order)
    by_id = {p.debt_id: p for p in positions}
    assert sum(result.parts.values()) + result.credit == amount
    assert all(0 < part <= by_id[d].owed for d, part in result.parts.items())
    if len(positions) > 1:
        assert not any(by_id[d].disputed for d in result.parts)
    payable = sum(p.owed for p in positions if len(positions) == 1 or not p.disputed)
    assert result.credit == max(amount - payable, 0)


@settings(max_examples=150, deadline=None)
@given(positions=positions_st, data=st.data())
def test_instructions_are_followed_then_the_order(positions: list[DebtPosition], data: st.DataObject) -> None:
    eligible = [p for p in positions if p.owed > 0 and (len(positions) == 1 or not p.disputed)]
    instructions = {p.debt_id: data.draw(st.integers(0, p.owed)) for p in eligible[:2]}
    amount = sum(instructions.values()) + data.draw(st.integers(1, 50_000))
    result = allocate_payment(amount, "USD", positions, instructions)
    for debt_id, part in instructions.items():
        assert result.parts.get(debt_id, 0) >= part
    assert sum(result.parts.values()) + result.credit == amount


def test_oldest_first_waterfall() -> None:
    old = DebtPosition(1, 3_000, "USD", age_key=date(2020, 1, 1))
    new = DebtPosition(2, 5_000, "USD", age_key=date(2024, 1, 1))
    assert allocate_payment(4_000, "USD", [new, old]).parts == {1: 3_000, 2: 1_000}
    assert allocate_payment(4_000, "USD", [new, old], order=AllocationOrder.LARGEST_FIRST).parts == {2: 4_000}
    assert allocate_payment(4_000, "USD", [new, old], order=AllocationOrder.PROPORTIONAL).parts == {1: 1_500,
                                                                                                     2: 2_500}


def test_directed_payment_on_a_disputed_debt_of_several_is_refused() -> None:
    disputed = DebtPosition(1, 3_000, "USD", disputed=True)
    other = DebtPosition(2, 3_000, "USD")
    with pytest.raises(ValidationError) as err:
        allocate_payment(1_000, "USD", [disputed, other], {1: 1_000})
    assert err.value.field == "allocation.1"
    assert allocate_payment(1_000, "USD", [disputed]).parts == {1: 1_000}  # one named debt: the customer's choice


@pytest.mark.parametrize(("amount", "instructions", "field"), [
    (0, None, "amount_minor"),
    (-1, None, "amount_minor"),
    (1_000, {9: 10}, "allocation.9"),
    (1_000, {1: 5_000}, "allocation.1"),
    (1_000, {1: 800, 2: 800}, "allocation"),
])
def test_bad_allocations_name_the_field(amount: int, instructions: dict[int, int] | None, field: str) -> None:
    positions = [DebtPosition(1, 3_000, "USD"), DebtPosition(2, 3_000, "USD")]
    with pytest.raises(ValidationError) as err:
        allocate_payment(amount, "USD", positions, instructions)
    assert err.value.field == field


def test_currency_must_match() -> None:
    with pytest.raises(ValidationError) as err:
        allocate_payment(100, "EUR", [DebtPosition(1, 3_000, "USD")])
    assert err.value.field == "currency"

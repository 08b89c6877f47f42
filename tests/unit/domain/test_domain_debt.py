"""Days past due: the oldest instalment not covered by net payments sets the DPD."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.debt import Debt, DueInstalment, ProductKind, days_past_due, oldest_unpaid_due
from cupx.domain.errors import ValidationError

SCHEDULE = (DueInstalment(date(2026, 1, 1), 10_000), DueInstalment(date(2026, 2, 1), 10_000),
            DueInstalment(date(2026, 3, 1), 10_000))


@pytest.mark.parametrize(("paid", "as_of", "dpd"), [
    (0, date(2025, 12, 31), 0),       # nothing due yet
    (0, date(2026, 1, 1), 0),         # due today is not past due
    (0, date(2026, 1, 31), 30),
    (10_000, date(2026, 1, 31), 0),   # first instalment covered
    (15_000, date(2026, 2, 11), 10),  # second partly covered: it is 10 days late
    (30_000, date(2026, 6, 1), 0),
    (0, date(2026, 3, 2), 60),        # the oldest unpaid instalment ages, not the newest
])
def test_days_past_due(paid: int, as_of: date, dpd: int) -> None:
    assert days_past_due(SCHEDULE, paid, as_of) == dpd


def test_a_paid_off_balance_is_never_past_due() -> None:
    assert days_past_due(SCHEDULE, 5_000, date(2026, 6, 1), balance_minor=0) == 0
    assert oldest_unpaid_due(SCHEDULE, 5_000, date(2026, 6, 1)) == date(2026, 1, 1)


@settings(max_examples=150, deadline=None)
@given(paid=st.integers(0, 40_000), more=st.integers(0, 40_000), day=st.integers(0, 200))
def test_paying_more_never_raises_dpd(paid: int, more: int, day: int) -> None:
    as_of = date.fromordinal(date(2026, 1, 1).toordinal() + day)
    assert days_past_due(SCHEDULE, paid + more, as_of) <= days_past_due(SCHEDULE, paid, as_of)


def test_debt_invariants() -> None:
    debt = Debt("D1", 1, "Acme", ProductKind.BNPL, "USD", 30_000, due_schedule=SCHEDULE, sol_date=date(2030, 1, 1))
    assert debt.original.minor == 30_000 and not debt.is_time_barred(date(2030, 1, 1))
    assert debt.is_time_barred(date(2030, 1, 2))
    with pytest.raises(ValidationError):
        Debt("D1", 1, "Acme", ProductKind.BNPL, "USD", 100, due_schedule=tuple(reversed(SCHEDULE)))
    with pytest.raises(ValidationError):
        DueInstalment(date(2026, 1, 1), 0)

"""Plan schedules, policies, missed instalments, completion and re-ageing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.errors import PolicyViolation
from cupx.domain.plans import (
    Frequency,
    InstalmentMissed,
    InstalmentStatus,
    MissPolicy,
    Plan,
    PlanBroken,
    PlanCompleted,
    PlanPolicy,
    PlanReaged,
    PlanStatus,
    add_months,
    build_schedule,
    check_plan,
)

AT = datetime(2026, 6, 1, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(1, 10**9), count=st.integers(1, 120), frequency=st.sampled_from(Frequency),
       first=st.dates(date(2024, 1, 1), date(2030, 12, 31)))
def test_schedule_sums_exactly_with_equal_instalments(total: int, count: int, frequency: Frequency,
                                                      first: date) -> None:
    if total < count:
        return
    schedule = build_schedule(total, count, frequency, first)
    amounts = [i.amount_minor for i in schedule]
    assert sum(amounts) == total and len(schedule) == count
    assert max(amounts) - min(amounts) <= 1  # equal up to one minor unit
    assert schedule[0].due_on == first
    assert all(a.due_on < b.due_on for a, b in zip(schedule, schedule[1:], strict=False))


def test_monthly_dates_clamp_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert [i.due_on for i in build_schedule(300, 3, Frequency.MONTHLY, date(2026, 1, 31))] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert build_schedule(300, 3, Frequency.FORTNIGHTLY, date(2026, 1, 1))[2].due_on == date(2026, 1, 29)


@pytest.mark.parametrize(("total", "count", "frequency", "recent", "field"), [
    (100_000, 30, Frequency.MONTHLY, 0, "instalment_count"),  # beyond 24 months
    (10_000, 12, Frequency.MONTHLY, 0, "instalment_count"),  # 833 < 1000 minimum
    (100_000, 12, Frequency.MONTHLY, 2, "customer_id"),  # plans per year used up
])
def test_policy_refusals_name_the_field(total: int, count: int, frequency: Frequency, recent: int,
                                        field: str) -> None:
    with pytest.raises(PolicyViolation) as err:
        check_plan(PlanPolicy(), total, count, frequency, recent)
    assert err.value.field == field
    check_plan(PlanPolicy(), 100_000, 12, Frequency.MONTHLY, 0)


def _plan(total: int = 3_000, count: int = 3) -> Plan:
    plan = Plan(1, "USD", Frequency.MONTHLY, build_schedule(total, count, Frequency.MONTHLY, date(2026, 1, 10)), id=7)
    plan.activate(AT)
    return plan


def test_first_miss_is_appended_second_consecutive_breaks() -> None:
    plan = _plan()
    events = plan.process_due(date(2026, 1, 11), AT, MissPolicy())
    assert [type(e) for e in events] == [InstalmentMissed]
    assert len(plan.instalments) == 4 and plan.total_minor == 3_000
    assert plan.instalments[-1].due_on == date(2026, 4, 10) and plan.instalments[-1].amount_minor == 1_000
    events = plan.process_due(date(2026, 2, 11), AT, MissPolicy())
    assert [type(e) for e in events] == [InstalmentMissed, PlanBroken] and plan.status == PlanStatus.BROKEN


def test_a_payment_between_misses_resets_the_count_and_completion_follows() -> None:
    plan = _plan()
    plan.process_due(date(2026, 1, 11), AT, MissPolicy())
    plan.apply_payment(1_000, date(2026, 2, 1), AT, MissPolicy())
    assert plan.consecutive_misses == 0
    plan.process_due(date(2026, 3, 11), AT, MissPolicy())  # misses March: first consecutive miss again
    assert plan.status == PlanStatus.ACTIVE
    left = plan.apply_payment(5_000, date(2026, 3, 20), AT, MissPolicy())
    assert left == 3_000 and plan.status == PlanStatus.COMPLETED
    assert any(isinstance(e, PlanCompleted) for e in plan.events)


def test_configurable_miss_policy_breaks_at_once() -> None:
    plan = _plan()
    plan.process_due(date(2026, 1, 11), AT, MissPolicy(append_first_miss=False, break_after=1))
    assert plan.status == PlanStatus.BROKEN and len(plan.instalments) == 3


def test_reageing_after_consecutive_on_time_payments() -> None:
    plan = _plan(4_000, 4)
    for due in (date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)):
        plan.apply_payment(1_000, due, AT, MissPolicy(reage_after=3))
    assert [e for e in plan.events if isinstance(e, PlanReaged)][0].on_time_payments == 3
    assert plan.reaged and plan.instalments[2].status == InstalmentStatus.PAID


def test_unapply_takes_back_newest_first() -> None:
    plan = _plan()
    plan.apply_payment(3_000, date(2026, 1, 5), AT, MissPolicy())
    assert plan.status == PlanStatus.COMPLETED
    plan.unapply_payment(1_500)
    assert plan.status == PlanStatus.ACTIVE and [i.paid_minor for i in plan.instalments] == [1_000, 500, 0]


def test_defer_moves_unpaid_instalments_past_a_hold() -> None:
    plan = _plan()
    plan.apply_payment(1_000, date(2026, 1, 5), AT, MissPolicy())
    assert plan.defer(date(2026, 1, 1), 30) == 2
    assert [i.due_on for i in plan.instalments] == [date(2026, 1, 10), date(2026, 3, 12), date(2026, 4, 9)]
    assert plan.total_minor == 3_000

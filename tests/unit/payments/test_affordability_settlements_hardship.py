"""Affordability from I&E, settlement floors and authority, breathing space and routing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.affordability import (
    AffordabilityPolicy,
    IEStatement,
    affordable_plans,
    check_affordable,
    max_instalment,
)
from cupx.domain.errors import PermissionDenied, PolicyViolation, ValidationError
from cupx.domain.hardship import BreathingSpace, HardshipPolicy, HoldKind, route_for
from cupx.domain.plans import Frequency, PlanPolicy
from cupx.domain.settlements import SettlementPolicy, decide_settlement, require_authority

FIRST = date(2026, 7, 1)


def test_disposable_income_and_maximum_instalments() -> None:
    stmt = IEStatement.from_lines("USD", {"salary": 300_000}, {"rent": 150_000, "food": 98_000})
    assert stmt.disposable_minor == 52_000
    policy = AffordabilityPolicy(share_bp=5_000)
    assert max_instalment(stmt, Frequency.MONTHLY, policy) == 26_000
    assert max_instalment(stmt, Frequency.WEEKLY, policy) == 26_000 * 12 // 52
    with pytest.raises(PolicyViolation) as err:
        check_affordable(stmt, 26_001, Frequency.MONTHLY, policy)
    assert err.value.details["max_instalment_minor"] == 26_000


@settings(max_examples=100, deadline=None)
@given(total=st.integers(1, 5_000_000), income=st.integers(0, 1_000_000), spend=st.integers(0, 1_000_000))
def test_offered_plans_are_affordable_and_within_policy(total: int, income: int, spend: int) -> None:
    stmt = IEStatement("USD", income, spend)
    policy = PlanPolicy()
    for quote in affordable_plans(total, stmt, policy, FIRST):
        assert quote.instalment_minor <= max_instalment(stmt, quote.frequency, AffordabilityPolicy())
        assert quote.total_minor == total
        assert quote.instalment_count == 1 or total // quote.instalment_count >= policy.min_instalment_minor


def test_no_disposable_income_means_no_offer() -> None:
    assert affordable_plans(10_000, IEStatement("USD", 1_000, 2_000), PlanPolicy(), FIRST) == []


def test_settlement_floor_and_authority() -> None:
    policy = SettlementPolicy()
    assert decide_settlement(100_000, 92_000, 1, "default", "agent", policy).within_authority
    queued = decide_settlement(100_000, 70_000, 1, "default", "agent", policy)
    assert not queued.within_authority and queued.approver_role == "manager" and queued.discount_bp == 3_000
    with pytest.raises(PolicyViolation) as err:
        decide_settlement(100_000, 59_999, 1, "default", "manager", policy)
    assert err.value.field == "amount_minor"
    with pytest.raises(PolicyViolation):
        decide_settlement(100_000, 90_000, 7, "default", "agent", policy)
    with pytest.raises(ValidationError):
        decide_settlement(100_000, 100_000, 1, "default", "agent", policy)
    with pytest.raises(PermissionDenied):
        require_authority("supervisor", 3_000, policy)
    require_authority("manager", 3_000, policy)


def test_breathing_space_defaults_to_sixty_days() -> None:
    hold = BreathingSpace.start(1, date(2026, 6, 1), "job loss", HardshipPolicy())
    assert hold.ends_on == date(2026, 7, 30) and hold.is_active(date(2026, 7, 30))
    assert not hold.is_active(date(2026, 7, 31)) and not hold.is_active(date(2026, 5, 31))
    hold.end(datetime(2026, 6, 2, tzinfo=UTC))
    assert not hold.is_active(date(2026, 6, 3))
    with pytest.raises(PolicyViolation):
        BreathingSpace.start(1, date(2026, 6, 1), "x", HardshipPolicy(), kind=HoldKind.PAYMENT_HOLIDAY,
                             segment="early_stage")
    with pytest.raises(ValidationError):
        BreathingSpace.start(1, date(2026, 6, 1), "x", HardshipPolicy(), days=0)


def test_vulnerability_routes_to_trained_agents() -> None:
    assert route_for({"vulnerable"}).required_skill == "vulnerability"
    assert route_for({"hardship"}).queue == "hardship"
    assert not route_for(set()).soften

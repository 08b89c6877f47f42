"""Promise resolution: the scalar rule and the Polars form agree; grace and tolerance; transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.errors import InvalidTransition, ValidationError
from cupx.domain.promises import Promise, PromisePolicy, PromiseStatus, decide_promise, resolution_expr

AT = datetime(2026, 6, 1, tzinfo=UTC)
policies = st.builds(PromisePolicy, grace_days=st.integers(0, 10), tolerance_bp=st.integers(0, 10_000),
                     tolerance_minor=st.integers(0, 5_000))


@settings(max_examples=60, deadline=None)
@given(policy=policies, as_of=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
       rows=st.lists(st.tuples(st.integers(1, 100_000), st.integers(0, 120_000),
                               st.dates(date(2026, 1, 1), date(2026, 12, 31))), min_size=1, max_size=40))
def test_polars_form_equals_scalar_rule(policy: PromisePolicy, as_of: date,
                                        rows: list[tuple[int, int, date]]) -> None:
    frame = pl.DataFrame(rows, schema={"amount_minor": pl.Int64, "paid_minor": pl.Int64, "promised_on": pl.Date},
                         orient="row")
    bulk = frame.with_columns(resolution_expr(as_of, policy))["new_status"].to_list()
    assert bulk == [str(decide_promise(a, p, d, as_of, policy)) for a, p, d in rows]


def test_grace_and_tolerance() -> None:
    policy = PromisePolicy(grace_days=3, tolerance_bp=500)
    due = date(2026, 6, 10)
    assert decide_promise(10_000, 9_500, due, due, policy) == PromiseStatus.KEPT  # 5 % short is tolerated
    assert decide_promise(10_000, 9_499, due, due + timedelta(days=3), policy) == PromiseStatus.PENDING
    assert decide_promise(10_000, 9_499, due, due + timedelta(days=4), policy) == PromiseStatus.BROKEN
    assert decide_promise(10_000, 10_000, due, due - timedelta(days=5), policy) == PromiseStatus.KEPT  # early


def test_transitions_and_validation() -> None:
    promise = Promise(1, 5_000, "USD", date(2026, 6, 5), id=3)
    with pytest.raises(ValidationError):
        promise.validate_new(date(2026, 6, 6))
    promise.break_(0, AT)
    with pytest.raises(InvalidTransition):
        promise.keep(5_000, AT)
    assert [type(e).__name__ for e in promise.events] == ["PromiseBroken"]
    with pytest.raises(ValidationError):
        Promise(1, 0, "USD", date(2026, 6, 5))

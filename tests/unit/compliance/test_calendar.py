"""Business calendar (RULES.md 7.4, C-4, C-5, C-15): the repo holiday table against `holidays`."""

from __future__ import annotations

from datetime import date

import holidays as holidays_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cupx.compliance.business_calendar import (
    add_years,
    assumed_receipt_date,
    holidays,
    retention_until,
    validation_period,
)

# 5 U.S.C. 6103(a) holidays by their names in the `holidays` package.
_6103A = ("New Year's Day", "Martin Luther King Jr. Day", "Washington's Birthday", "Memorial Day",
          "Juneteenth National Independence Day", "Independence Day", "Labor Day", "Columbus Day",
          "Veterans Day", "Thanksgiving Day", "Christmas Day")


def _library_dates(years: range) -> set[date]:
    # The federal calendar (no state holidays), literal and "(observed)" dates.
    lib = holidays_lib.US(years=years, observed=True)
    return {d for d, name in lib.items() if any(name.startswith(h) for h in _6103A)}


def test_holiday_table_matches_holidays_package() -> None:
    years = range(2021, 2041)
    ours = {d for d in holidays(observed=True) if d.year in years}
    assert ours == _library_dates(years)


def test_literal_table_has_no_observed_days() -> None:
    literal = holidays(observed=False)
    assert date(2026, 7, 4) in literal and date(2026, 7, 3) not in literal
    assert date(2027, 12, 31) in holidays() and date(2027, 12, 31) not in literal


def test_inauguration_day_is_not_a_6103a_holiday() -> None:
    assert date(2029, 1, 20) not in holidays() and date(2029, 1, 22) not in holidays()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(min_value=date(2021, 1, 1), max_value=date(2040, 6, 30)))
def test_legal_minimum_never_after_cupx_end(provided: date) -> None:
    vp = validation_period(provided)
    assert vp.legal_minimum_end <= vp.end
    assert (vp.end - vp.assumed_receipt_date).days == 30
    assert assumed_receipt_date(provided).weekday() < 5 and vp.assumed_receipt_date > provided


def test_feb_29_plus_three_years_is_mar_1() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 3, 1)
    assert retention_until(date(2023, 5, 4)) == date(2026, 5, 4)

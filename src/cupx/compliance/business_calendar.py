"""Business calendar for the validation period (RULES.md R-12, 7.4, 7.5; conventions C-4, C-5, C-15,
C-16).

The holiday table `data/us_federal_holidays.csv` (5 U.S.C. 6103(a) literal dates plus observed-in-lieu
weekdays) is the source of truth; a unit test checks it against the `holidays` package.
Invariants: the day of providing is never counted; the assumed receipt date is the 5th day after it
that is not a Saturday, Sunday or holiday; the end is receipt + 30 calendar days with no roll (C-5);
`legal_minimum_end` uses literal dates only, so it is never later than `validation_period_end`.
"""

from __future__ import annotations

import csv
import functools
import io
from datetime import date, timedelta
from importlib import resources

__all__ = [
    "HOLIDAY_TABLE_VERSION", "ValidationPeriod", "add_years", "assumed_receipt_date", "holidays",
    "is_business_day", "retention_until", "validation_notice_deadline", "validation_period",
]

HOLIDAY_TABLE_VERSION = "us-6103a-2019-2041-v1"


@functools.cache
def holidays(observed: bool = True) -> frozenset[date]:
    """Holiday dates: literal 6103(a) dates, plus observed-in-lieu weekdays when `observed`."""
    text = resources.files("cupx.compliance.data").joinpath("us_federal_holidays.csv").read_text("utf-8")
    body = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    return frozenset(date.fromisoformat(r["date"]) for r in csv.DictReader(io.StringIO(body))
                     if observed or r["kind"] == "literal")


def is_business_day(day: date, *, observed: bool = True) -> bool:
    return day.weekday() < 5 and day not in holidays(observed)


def assumed_receipt_date(provided_on: date, *, observed: bool = True) -> date:
    """The 5th business day after `provided_on` (C-4: day 1 is the day after providing)."""
    day, counted = provided_on, 0
    while counted < 5:
        day += timedelta(days=1)
        if is_business_day(day, observed=observed):
            counted += 1
    return day


class ValidationPeriod(tuple[date, date, date]):
    """(assumed_receipt_date, validation_period_end, legal_minimum_end)."""

    __slots__ = ()

    @property
    def assumed_receipt_date(self) -> date:
        return self[0]

    @property
    def end(self) -> date:
        return self[1]

    @property
    def legal_minimum_end(self) -> date:
        return self[2]


@functools.lru_cache(maxsize=4096)
def validation_period(provided_on: date) -> ValidationPeriod:
    """C-5: end = assumed receipt + 30 calendar days, no roll; legal minimum with literal dates only."""
    receipt = assumed_receipt_date(provided_on)
    legal = assumed_receipt_date(provided_on, observed=False)
    return ValidationPeriod((receipt, receipt + timedelta(days=30), legal + timedelta(days=30)))


def validation_notice_deadline(initial_communication_on: date) -> date:
    """C-16: the notice must be sent within 5 calendar days after the initial communication."""
    return initial_communication_on + timedelta(days=5)


def add_years(day: date, years: int) -> date:
    """Calendar years later; Feb 29 maps to Mar 1 (C-15)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def retention_until(last_activity_on: date, years: int = 3) -> date:
    """Last day records must be kept (C-15): deletion is allowed from the next day."""
    return add_years(last_activity_on, years)

"""Features as of a date: known values, and no look-ahead (rows after D never change the features)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.analytics.features import FEATURE_NAMES, build_features
from cupx.analytics.labels import build_labels

D = date(2026, 6, 15)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_tables(extra_days: int = 0) -> dict[str, pl.DataFrame]:
    """Two debts with history up to D; `extra_days` > 0 adds rows dated after D in every table."""
    statements = [
        {"debt_id": 1, "period": date(2026, m, 1), "billed_minor": 10_000 * m, "paid_minor": 5_000,
         "months_late": 1 if m == 5 else 0, "credit_limit_minor": 100_000, "currency": "USD"}
        for m in range(1, 6)
    ]
    ledger = [
        {"id": 1, "debt_id": 1, "kind": "charge", "amount_minor": 50_000, "effective_date": date(2026, 1, 1),
         "posted_at": _at(date(2026, 1, 1)), "reverses_id": None},
        {"id": 2, "debt_id": 1, "kind": "payment", "amount_minor": 10_000, "effective_date": D - timedelta(days=10),
         "posted_at": _at(D - timedelta(days=10)), "reverses_id": None},
        {"id": 3, "debt_id": 2, "kind": "charge", "amount_minor": 20_000, "effective_date": date(2026, 2, 1),
         "posted_at": _at(date(2026, 2, 1)), "reverses_id": None},
    ]
    contacts = [{"customer_id": 1, "debt_id": 1, "type": "text_sent", "channel": "sms", "at": _at(D - timedelta(5)),
                 "outcome": None, "right_party": False}]
    promises = [{"customer_id": 1, "debt_id": 1, "amount_minor": 5_000, "promised_on": D + timedelta(days=5),
                 "status": "pending", "created_at": _at(D - timedelta(days=2)), "resolved_at": None}]
    if extra_days:
        later = D + timedelta(days=extra_days)
        statements.append({"debt_id": 1, "period": date(2026, 6, 1), "billed_minor": 1, "paid_minor": 1,
                           "months_late": 5, "credit_limit_minor": 1, "currency": "USD"})
        ledger.append({"id": 4, "debt_id": 2, "kind": "payment", "amount_minor": 20_000, "effective_date": later,
                       "posted_at": _at(later), "reverses_id": None})
        ledger.append({"id": 5, "debt_id": 1, "kind": "reversal", "amount_minor": 10_000, "effective_date": D,
                       "posted_at": _at(later), "reverses_id": 2})  # learned after D: ignored as of D
        contacts.append({"customer_id": 1, "debt_id": 1, "type": "dispute", "channel": None, "at": _at(later, 0),
                         "outcome": None, "right_party": True})
        promises[0] = {**promises[0], "status": "broken", "resolved_at": _at(later)}
        promises.append({"customer_id": 2, "debt_id": 2, "amount_minor": 1, "promised_on": later,
                         "status": "kept", "created_at": _at(later), "resolved_at": _at(later)})
    return {
        "debts": pl.DataFrame({"id": [1, 2], "customer_id": [1, 2], "original_minor": [50_000, 20_000],
                               "opened_on": [date(2025, 1, 1), date(2025, 6, 1)], "charge_off_date": [None, None],
                               "status": ["active", "active"]}),
        "statements": pl.DataFrame(statements), "ledger_entries": pl.DataFrame(ledger),
        "contact_events": pl.DataFrame(contacts), "promises": pl.DataFrame(promises),
    }


def _lazy(tables: dict[str, pl.DataFrame]) -> dict[str, pl.LazyFrame]:
    return {k: v.lazy() for k, v in tables.items()}


def test_features_have_known_values() -> None:
    f = build_features(_lazy(make_tables()), D).row(0, named=True)
    assert f["debt_id"] == 1
    assert f["late_1"] == 1 and f["late_2"] == 0  # May is the latest closed month as of June 15
    assert f["bill_1"] == 50_000 and f["paid_1"] == 5_000
    assert f["pay_ratio_1"] == 5_000 / 40_000  # May's payment against April's bill
    assert f["balance"] == 40_000 and f["paid_30"] == 10_000 and f["days_since_payment"] == 10
    assert f["contacts_out_30"] == 1 and f["promises_total"] == 1 and f["open_promise_amount"] == 5_000
    assert f["utilisation_1"] == 0.5 and f["max_late_12"] == 1


def test_features_ignore_everything_after_the_cut_off() -> None:
    before = build_features(_lazy(make_tables()), D)
    after = build_features(_lazy(make_tables(extra_days=1)), D)
    assert before.equals(after)


@settings(max_examples=15, deadline=None)
@given(extra=st.integers(min_value=1, max_value=400))
def test_no_look_ahead_for_any_later_day(extra: int) -> None:
    assert build_features(_lazy(make_tables()), D).equals(build_features(_lazy(make_tables(extra)), D))


def test_later_rows_do_change_features_once_known() -> None:
    """The no-look-ahead test can fail: the same rows matter at a later cut-off."""
    later = D + timedelta(days=40)
    a = build_features(_lazy(make_tables()), later)
    b = build_features(_lazy(make_tables(extra_days=1)), later)
    assert not a.equals(b)


def test_every_feature_column_present_even_without_optional_tables() -> None:
    f = build_features({"debts": make_tables()["debts"].lazy()}, D)
    assert f.columns == ["debt_id", "customer_id", *FEATURE_NAMES]
    assert f.height == 2


def test_labels_look_at_the_30_days_after_the_cut_off() -> None:
    labels = build_labels(_lazy(make_tables(extra_days=3)), D)
    # debt 2 pays in full 3 days later; debt 1's June statement is 5 months late
    assert dict(zip(labels["debt_id"], labels["label"], strict=True)) == {1: 0, 2: 1}

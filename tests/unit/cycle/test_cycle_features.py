"""Features as of the run date: balance, DPD and episode, payment windows, contact windows, holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
from cycle_factories import AS_OF, Portfolio

from cupx.cycle.features import build_features
from cupx.strategy.catalogue import FEATURES


def _features(p: Portfolio) -> dict[int, dict]:
    df = build_features(p.inputs(), AS_OF).collect()
    return {r["debt_id"]: r for r in df.to_dicts()}


def test_every_catalogue_feature_is_computed() -> None:
    p = Portfolio()
    p.debt(p.customer())
    df = build_features(p.inputs(), AS_OF).collect()
    assert set(FEATURES) <= set(df.columns)


def test_balance_dpd_and_reversed_payment() -> None:
    p = Portfolio()
    c = p.customer()
    d = p.debt(c, dpd=20, amount=10_000, paid=4_000)
    p.add("ledger_entries", id=99, debt_id=d, kind="reversal", amount_minor=4_000,
          effective_date=AS_OF - timedelta(days=1), reverses_id=2)
    f = _features(p)[d]
    assert f["balance"] == 10_000 and f["dpd"] == 20 and f["paid_30d"] == 0
    assert f["days_since_payment"] is None  # the only payment was reversed


def test_paid_debt_is_not_open_and_partial_payment_keeps_oldest_due() -> None:
    p = Portfolio()
    c = p.customer()
    paid = p.debt(c, dpd=20, amount=10_000, paid=10_000)
    part = p.debt(c, dpd=20, amount=10_000, paid=3_000)
    f = _features(p)
    assert not f[paid]["is_open"] and f[paid]["dpd"] == 0
    assert f[part]["is_open"] and f[part]["dpd"] == 20 and f[part]["paid_30d"] == 3_000
    assert f[part]["debts_of_customer"] == 1 and f[part]["customer_value"] == 20_000


def test_pre_due_debt_has_negative_offset_and_zero_dpd() -> None:
    p = Portfolio()
    d = p.debt(p.customer(), dpd=-3)
    f = _features(p)[d]
    assert f["is_open"] and f["due_offset"] == -3 and f["dpd"] == 0


def test_contact_windows_count_attempts_and_right_party_contacts() -> None:
    p = Portfolio()
    c = p.customer()
    d = p.debt(c)
    day = datetime(2026, 11, 30, 15, tzinfo=UTC)
    p.event(c, "text_sent", day, channel="sms")
    p.event(c, "text_sent", day - timedelta(days=3), channel="sms")
    p.event(c, "call_placed", day - timedelta(days=20), channel="call", right_party=True)
    p.event(c, "email_sent", day + timedelta(days=1), channel="email")  # after the run date: not seen
    f = _features(p)[d]
    assert (f["attempts_sms_1d"], f["attempts_sms_7d"], f["attempts_sms_30d"]) == (1, 2, 2)
    assert (f["attempts_call_7d"], f["attempts_call_30d"], f["rpc_7d"], f["rpc_30d"]) == (0, 1, 0, 1)
    assert f["attempts_email_30d"] == 0 and f["days_since_contact"] == 0
    assert f["last_response"] == "call_placed" and f["days_since_response"] == 20


def test_holds_from_promises_plans_breathing_space_status_and_flags() -> None:
    p = Portfolio()
    c1, c2, c3 = p.customer(), p.customer(flags="deceased,vulnerable"), p.customer()
    promised, planned = p.debt(c1), p.debt(c1)
    spaced, disputed, dead = p.debt(c3), p.debt(c3, status="disputed"), p.debt(c2)
    p.add("promises", customer_id=c1, debt_id=promised, status="pending", promised_on=AS_OF, resolved_on=None)
    p.add("promises", customer_id=c1, debt_id=None, status="broken", promised_on=AS_OF, resolved_on=AS_OF)
    p.add("payment_plans", customer_id=c1, debt_id=planned, status="active", consecutive_misses=0)
    p.add("breathing_spaces", customer_id=c3, debt_id=None, starts_on=AS_OF, ends_on=AS_OF + timedelta(days=60),
          status="active")
    f = _features(p)
    assert f[promised]["promise_pending"] and not f[planned]["promise_pending"]
    assert f[planned]["arrangement_active"] and f[planned]["broken_promises"] == 1
    assert f[spaced]["hardship"] and f[disputed]["hardship"] and f[disputed]["dispute"]
    assert f[dead]["deceased"] and f[dead]["vulnerable"] and not f[dead]["bankruptcy"]


def test_rule_score_is_documented_formula() -> None:
    p = Portfolio()
    d = p.debt(p.customer(), dpd=50, paid=1_000)
    f = _features(p)[d]
    assert f["risk_score"] == round(0.85 - 0.006 * 50 + 0.15, 4) and f["risk_band"] == "B"
    assert pl.Series([f["behaviour"]]).to_list() == ["new"]


def test_multi_instalment_schedule_ages_from_the_oldest_uncovered_instalment() -> None:
    p = Portfolio()
    c = p.customer()
    d = p.debt(c, dpd=60, amount=300, paid=150)
    p.rows["debts"][-1]["due_schedule"] = '[["2026-10-01", 100], ["2026-11-01", 100], ["2026-12-01", 100]]'
    f = _features(p)[d]
    assert f["dpd"] == (AS_OF - date(2026, 11, 1)).days and f["balance"] == 150

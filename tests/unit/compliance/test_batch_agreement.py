"""Batch (C3) and single (C2) forms agree decision for decision and code for code on the rules the
batch covers (random histories from hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cupx.compliance import evaluate
from cupx.compliance.batch import BATCH_CODES, evaluate_batch

NUMBER = "+13125550199"
OTHER = "+13125550100"
ZONE_SETS = [("America/Chicago",), ("America/Chicago", "America/Denver"),
             ("America/New_York", "America/Los_Angeles"), ("America/Phoenix",)]
BASE = datetime(2026, 3, 2, 12, tzinfo=UTC)  # spans the 2026-03-08 DST change

events_st = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["call_placed"] * 6 + ["telephone_conversation", "call_consent", "call_consent_revoked",
                                                   "wrong_number_learned", "cease_notice", "dispute",
                                                   "verification_sent",
                                                   "validation_notice", "original_creditor_request",
                                                   "original_creditor_info_sent", "medium_restriction",
                                                   "electronic_opt_out", "attorney_known", "attorney_consent",
                                                   "tcpa_consent", "tcpa_revocation"]),
    "minutes": st.integers(0, 14 * 24 * 60),
    "debt": st.sampled_from([1, 2, None]),
    "outcome": st.sampled_from(["no_answer", "answered", "busy", "not_in_service", "voicemail_no_message"]),
    "medium": st.sampled_from(["mail", "email", "telephone_call", "text", "electronic"]),
    "target": st.sampled_from([NUMBER, OTHER, "c@example.com", None]),
    "written": st.sampled_from([True, False]),
    "lag_days": st.integers(0, 6),
}), max_size=14)

action_st = st.fixed_dictionaries({
    "role": st.sampled_from(["fdcpa_debt_collector"] * 4 + ["first_party_creditor"]),
    "channel": st.sampled_from(["call", "call", "text", "email", "letter"]),
    "minutes": st.integers(6 * 24 * 60, 15 * 24 * 60),
    "debts": st.sampled_from([[1], [2], [1, 2]]),
    "dialing": st.sampled_from(["manual", "atds"]),
    "tcpa_consent": st.booleans(),
})


def _single_event(e: dict[str, Any]) -> dict[str, Any]:
    at = BASE + timedelta(minutes=e["minutes"])
    out: dict[str, Any] = {"type": e["type"], "at": at.isoformat(), "person": "C1"}
    if e["debt"] is not None:
        out["debt_ids"] = [str(e["debt"])]
    if e["type"] == "call_placed":
        out |= {"number": NUMBER, "outcome": e["outcome"]}
    if e["type"] in ("cease_notice", "medium_restriction", "dispute", "tcpa_revocation"):
        out["medium"] = e["medium"]
    if e["type"] in ("dispute", "original_creditor_request"):
        out["written"] = e["written"]
        if e.get("lag_days"):  # postmark / submission evidence before receipt (C-6)
            out["submitted_at"] = (at - timedelta(days=e["lag_days"])).isoformat()
    if e["type"] in ("medium_restriction", "electronic_opt_out", "wrong_number_learned", "tcpa_consent",
                     "tcpa_revocation") and e["target"] is not None:
        key = "address" if "@" in e["target"] else "number"
        out[key] = e["target"]
    if e["type"] == "validation_notice":
        out["provided_on"] = at.date().isoformat()
        if e.get("lag_days", 0) > 3:  # a printed end date later than the computed one
            out["stated_end_date"] = (at.date() + timedelta(days=40)).isoformat()
    return out


def _single(zones: tuple[str, ...], events: list[dict[str, Any]], act: dict[str, Any],
            profile: dict[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
    ctx = {"collector_role": act.get("role", "fdcpa_debt_collector"), "profile": profile,
           # the phone's own evidence carries an explicit tz, so its area code adds no zone (7.2)
           "consumer": {"id": "C1", "location_evidence": [{"kind": "phone_area_code", "value": NUMBER,
                                                            "tz": zones[0]}]
                        + [{"kind": "stated_location", "value": z, "tz": z} for z in zones]},
           "phones": [{"number": NUMBER, "type": "mobile", "tcpa_consent": act["tcpa_consent"]}],
           "debts": [{"id": "1"}, {"id": "2"}]}
    at = BASE + timedelta(minutes=act["minutes"])
    action: dict[str, Any] = {"type": act["channel"], "at": at.isoformat(), "person": "C1",
                              "debt_ids": [str(d) for d in act["debts"]], "dialing": act["dialing"]}
    if act["channel"] in ("call", "text"):
        action["number"] = NUMBER
    if act["channel"] == "email":
        action["address"] = "c@example.com"
    if act["channel"] == "letter":
        action["mail_on"] = at.date().isoformat()
        action.pop("at")
    d = evaluate(ctx, [_single_event(e) for e in events], action)
    codes = tuple(c for c in d.reason_codes if c in BATCH_CODES)
    return ("blocked" if codes else "allowed"), codes


def _batch(zones: tuple[str, ...], events: list[dict[str, Any]], act: dict[str, Any],
           profile: Any = None) -> tuple[str, tuple[str, ...]]:
    rows = []
    for e in events:
        single = _single_event(e)
        rows.append({"customer_id": 1, "type": e["type"], "at": BASE + timedelta(minutes=e["minutes"]),
                     "debt_id": e["debt"], "outcome": single.get("outcome"), "medium": single.get("medium"),
                     "target": single.get("number") or single.get("address"), "written": single.get("written"),
                     "provided_on": datetime.fromisoformat(single["provided_on"]).date()
                     if "provided_on" in single else None,
                     "stated_end_date": datetime.fromisoformat(single["stated_end_date"]).date()
                     if "stated_end_date" in single else None,
                     "submitted_at": datetime.fromisoformat(single["submitted_at"])
                     if "submitted_at" in single else None})
    schema = {"customer_id": pl.Int64, "type": pl.Utf8, "at": pl.Datetime("us", "UTC"), "debt_id": pl.Int64,
              "outcome": pl.Utf8, "medium": pl.Utf8, "target": pl.Utf8, "written": pl.Boolean, "provided_on": pl.Date,
              "stated_end_date": pl.Date, "submitted_at": pl.Datetime("us", "UTC")}
    ev = pl.DataFrame(rows, schema=schema)
    at = BASE + timedelta(minutes=act["minutes"])
    if act["channel"] == "letter":  # date-only action: the single form sees the whole business day
        at = datetime.combine(at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).date(),
                              datetime.max.time(), tzinfo=__import__("zoneinfo").ZoneInfo("America/New_York"))
    target = NUMBER if act["channel"] in ("call", "text") else ("c@example.com" if act["channel"] == "email" else None)
    acts = pl.DataFrame({"action_id": [1], "customer_id": [1], "debt_ids": [act["debts"]], "channel": [act["channel"]],
                         "at": [at], "target": [target], "dialing": [act["dialing"]], "phone_type": ["mobile"],
                         "tcpa_consent": [act["tcpa_consent"]]},
                        schema_overrides={"at": pl.Datetime("us", "UTC"), "debt_ids": pl.List(pl.Int64)})
    cust = pl.DataFrame({"customer_id": [1], "tz_candidates": [",".join(zones)],
                         "collector_role": [act.get("role", "fdcpa_debt_collector")]})
    out = evaluate_batch(cust, ev, acts, profile).row(0, named=True)
    return out["decision"], tuple(out["reason_codes"])


dense_calls_st = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["call_placed"] * 8 + ["telephone_conversation", "call_consent", "call_consent_revoked"]),
    "minutes": st.integers(6 * 24 * 60, 12 * 24 * 60 + 600),
    "debt": st.sampled_from([1, 1, 2]),
    "outcome": st.sampled_from(["no_answer", "no_answer", "answered", "busy"]),
    "medium": st.just("mail"), "target": st.sampled_from([NUMBER, NUMBER, OTHER]), "written": st.just(True),
    "lag_days": st.just(0),
}), min_size=6, max_size=16)
dense_action_st = st.fixed_dictionaries({
    "role": st.sampled_from(["fdcpa_debt_collector"] * 4 + ["first_party_creditor"]),
    "channel": st.just("call"), "minutes": st.integers(12 * 24 * 60 + 600, 13 * 24 * 60),
    "debts": st.sampled_from([[1], [1, 2]]), "dialing": st.just("manual"), "tcpa_consent": st.just(False)})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones=st.sampled_from(ZONE_SETS), events=dense_calls_st, act=dense_action_st)
def test_batch_agrees_with_single_on_dense_call_histories(
        zones: tuple[str, ...], events: list[dict[str, Any]], act: dict[str, Any]) -> None:
    assert _batch(zones, events, act) == _single(zones, events, act)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones=st.sampled_from(ZONE_SETS), events=events_st, act=action_st)
def test_batch_agrees_with_single(zones: tuple[str, ...], events: list[dict[str, Any]], act: dict[str, Any]) -> None:
    assert _batch(zones, events, act) == _single(zones, events, act)


HOUSE = {"max_texts_per_week": 3, "max_emails_per_day": 1, "max_calls_per_week": 5, "quiet_weekdays": ["sun"],
         "window_start": "09:00", "window_end": "20:00"}
house_events_st = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["text_sent", "email_sent", "call_placed"]),
    "minutes": st.integers(4 * 24 * 60, 13 * 24 * 60), "debt": st.just(1), "outcome": st.just("no_answer"),
    "medium": st.just("mail"), "target": st.just(NUMBER), "written": st.just(True), "lag_days": st.just(0),
}), max_size=12)
house_action_st = st.fixed_dictionaries({
    "role": st.sampled_from(["fdcpa_debt_collector"] * 4 + ["first_party_creditor"]),
    "channel": st.sampled_from(["call", "text", "email"]), "minutes": st.integers(9 * 24 * 60, 14 * 24 * 60),
    "debts": st.just([1]), "dialing": st.just("manual"), "tcpa_consent": st.just(False)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones=st.sampled_from(ZONE_SETS), events=house_events_st, act=house_action_st)
def test_batch_agrees_with_single_on_house_rules(
        zones: tuple[str, ...], events: list[dict[str, Any]], act: dict[str, Any]) -> None:
    from cupx.compliance.profiles import resolve_profile

    profile = resolve_profile({"house": HOUSE}, "fdcpa_debt_collector")
    assert _batch(zones, events, act, profile) == _single(zones, events, act, {"house": HOUSE})

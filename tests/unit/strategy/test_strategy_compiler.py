"""The compiled Polars plan decides exactly like the plain per-account reference, on random portfolios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategy_portfolio import AS_OF, frames, portfolios

from cupx.strategy.arbitration import arbitrate
from cupx.strategy.compiler import compile_strategy
from cupx.strategy.frames import ASSIGNMENT_SCHEMA, FEATURE_SCHEMA, PROGRESS_SCHEMA
from cupx.strategy.loader import parse_strategy
from cupx.strategy.schema import Strategy
from reference.strategy_reference import reference_arbitrate, reference_decide

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = {p.stem: parse_strategy(p.read_text(), str(p)).strategy
            for p in sorted((ROOT / "strategies").glob("*.yaml"))}

GAP_AND_ANY = parse_strategy("""
id: edge
version: 2
min_days_between_contacts: 2
holds: [dispute, hardship, deceased, bankruptcy]
segments:
  - id: either
    when_any: [{risk_band: {in: [D, E]}}, {broken_promises: {gte: 1}}, {days_since_response: {between: [0, 5]}}]
    ladder: fast
  - id: rest
    when: {balance: {gt: 0}, language: {ne: es}}
    ladder: slow
ladders:
  fast:
    - {id: f1, channel: sms, template: t1, dpd: -5, until_dpd: 0, max_attempts: 3, cooldown_days: 2}
    - {id: f2, channel: email, template: t2, dpd: 1, when: {has_email: true, product: {not_in: [telecom]}}}
    - {id: f3, channel: call_task, template: t3, after: {event: broken_promise, days: 1}, severity: 50}
    - {id: f4, channel: letter, template: t4, dpd: 30, max_attempts: 2, cooldown_days: 0}
  slow:
    - {id: s1, channel: letter, template: t5, dpd: 10, max_attempts: 2, cooldown_days: 5,
       when: {risk_score: {lt: 0.7}}}
    - {id: s2, channel: agency, template: t6, dpd: 60, when: {tenure_days: {lte: 900}}}
experiments:
  - id: edge_exp
    arms: [{id: a, percent: 34}, {id: b, percent: 33, ladder: slow}, {id: c, percent: 33, control: true}]
""", "edge.yaml").strategy

ALL = [*EXAMPLES.values(), GAP_AND_ANY]


def _plan(strategy: Strategy, p: dict[str, Any]) -> list[dict[str, Any]]:
    f, pr, a = frames(p)
    got = compile_strategy(strategy).decide(f, pr, a, AS_OF).drop("episode").collect()
    return sorted(got.to_dicts(), key=lambda d: d["debt_id"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL).flatmap(lambda s: st.tuples(st.just(s), portfolios([s]))))
def test_compiled_plan_equals_reference(case: tuple[Strategy, dict[str, Any]]) -> None:
    strategy, p = case
    expected = reference_decide(strategy, p["rows"], p["progress"], p["assignments"], AS_OF)
    assert _plan(strategy, p) == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios([GAP_AND_ANY], max_debts=40))
def test_arbitration_equals_reference(p: dict[str, Any]) -> None:
    f, pr, a = frames(p)
    plan = compile_strategy(GAP_AND_ANY).decide(f, pr, a, AS_OF)
    got = sorted(arbitrate(plan).drop("episode").collect().to_dicts(), key=lambda d: d["debt_id"])
    expected = reference_arbitrate(reference_decide(GAP_AND_ANY, p["rows"], p["progress"], p["assignments"], AS_OF))
    assert got == expected
    contacts = [d for d in got if d["kind"] == "contact"]
    assert len({d["customer_id"] for d in contacts}) == len(contacts)  # one contact per customer


def test_explain_column_names_every_step_of_the_ladder() -> None:
    s = EXAMPLES["consumer_card"]
    row = {"debt_id": 1, "customer_id": 7, "is_open": True, "due_offset": 12, "dpd": 12, "balance": 50_000,
           "has_mobile": False, "has_email": True, "has_address": True, "product": "credit_card"}
    full = pl.DataFrame([{**{k: None for k in FEATURE_SCHEMA}, **row}], schema=FEATURE_SCHEMA)
    full = full.with_columns(pl.col(c).fill_null(False) for c, t in FEATURE_SCHEMA.items() if t == pl.Boolean())
    full = full.with_columns(pl.col("broken_promises").fill_null(0), pl.lit(AS_OF).alias("episode"))
    arms = pl.LazyFrame([{"experiment_id": "cc_email_first", "customer_id": 7, "arm": "champion"}],
                        schema=ASSIGNMENT_SCHEMA)
    out = compile_strategy(s).decide(full.lazy(), pl.LazyFrame(schema=PROGRESS_SCHEMA), arms, AS_OF,
                                     explain=True).collect().to_dicts()[0]
    assert out["kind"] == "contact" and out["step_id"] == "email_5"
    assert out["why"] == ["pre_due_sms: expired", "sms_1: condition_false", "email_5: chosen", "call_10: waiting",
                          "letter_20: not_due", "review_45: not_due", "agency_90: not_due"]
    assert out["skips"] == "pre_due_sms:expired,sms_1:condition_false"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL).flatmap(lambda s: st.tuples(st.just(s), portfolios([s]))))
def test_plan_without_stored_progress_or_arms_skips_the_joins_and_agrees(case: tuple[Strategy, dict[str, Any]]) -> None:
    strategy, p = case
    f, _, _ = frames(p)
    got = compile_strategy(strategy).decide(f, None, None, AS_OF).drop("episode").collect()
    expected = reference_decide(strategy, p["rows"], [], [], AS_OF)
    assert sorted(got.to_dicts(), key=lambda d: d["debt_id"]) == expected

"""Hypothesis generators of random portfolios (feature rows, progress, stored arms) for the strategy tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import strategies as st

from cupx.strategy.catalogue import FEATURES, FeatureKind
from cupx.strategy.frames import ASSIGNMENT_SCHEMA, FEATURE_SCHEMA, PROGRESS_SCHEMA
from cupx.strategy.schema import Strategy

AS_OF = date(2026, 11, 30)
_TEXT = {"product": ["credit_card", "telecom", "utility", "b2b_invoice", "personal_loan", "bnpl"],
         "risk_band": ["A", "B", "C", "D", "E"], "language": ["en", "es"], "currency": ["USD"],
         "behaviour": ["new", "self_cure", "engaged", "silent", "chronic"], "jurisdiction": ["US", "US-MA"],
         "last_response": ["telephone_conversation", "consumer_initiated_contact"]}
_NUM = {"balance": [0, 4_000, 60_000, 150_000, 2_000_000], "customer_value": [10_000, 600_000, 6_000_000],
        "tenure_days": [30, 800, 2000], "broken_promises": [0, 1, 3]}


def _value(name: str, kind: FeatureKind) -> st.SearchStrategy[Any]:
    if kind is FeatureKind.FLAG:
        return st.booleans() if name in ("has_mobile", "has_email", "has_address", "vulnerable") \
            else st.sampled_from([False] * 11 + [True])
    if kind is FeatureKind.TEXT:
        return st.sampled_from(_TEXT[name]) | st.none() if name == "last_response" else st.sampled_from(_TEXT[name])
    if name == "risk_score":
        return st.sampled_from([0.05, 0.3, 0.6, 0.9])
    if name in _NUM:
        return st.sampled_from(_NUM[name]) | st.none() if name == "tenure_days" else st.sampled_from(_NUM[name])
    if name.startswith("days_since"):
        return st.none() | st.integers(0, 40)
    return st.integers(0, 5)


@st.composite
def feature_row(draw: st.DrawFn, debt_id: int, customer_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {"debt_id": debt_id, "customer_id": customer_id}
    for name, kind in FEATURES.items():
        row[name] = draw(_value(name, kind))
    offset = draw(st.integers(-6, 120))
    row["due_offset"], row["dpd"] = offset, max(offset, 0)
    row["is_open"] = draw(st.sampled_from([True, True, True, True, False]))
    row["episode"] = AS_OF - timedelta(days=offset)
    return row


@st.composite
def portfolios(draw: st.DrawFn, strategies: list[Strategy], max_debts: int = 30) -> dict[str, Any]:
    n = draw(st.integers(1, max_debts))
    customers = draw(st.lists(st.integers(1, max(1, n // 2 + 1)), min_size=n, max_size=n))
    rows = [draw(feature_row(i + 1, c)) for i, c in enumerate(customers)]
    step_ids = sorted({s.id for strat in strategies for s in strat.steps})
    progress = []
    for r in rows:
        for step_id in draw(st.lists(st.sampled_from(step_ids), max_size=4, unique=True)):
            attempts = draw(st.integers(0, 3))
            skipped = attempts == 0 or draw(st.booleans()) and False
            last_on = AS_OF - timedelta(days=draw(st.integers(1, 12))) if attempts else None
            progress.append({"debt_id": r["debt_id"], "episode": r["episode"], "step_id": step_id,
                             "attempts": attempts, "skipped": skipped, "last_on": last_on})
    arms = []
    for strat in strategies:
        for exp in strat.experiments:
            for c in sorted(set(customers)):
                if draw(st.booleans()):
                    arms.append({"experiment_id": exp.id, "customer_id": c,
                                 "arm": draw(st.sampled_from([a.id for a in exp.arms]))})
    return {"rows": rows, "progress": progress, "assignments": arms}


def frames(p: dict[str, Any]) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    return (pl.LazyFrame(p["rows"], schema=FEATURE_SCHEMA),
            pl.LazyFrame(p["progress"], schema=PROGRESS_SCHEMA),
            pl.LazyFrame(p["assignments"], schema=ASSIGNMENT_SCHEMA))

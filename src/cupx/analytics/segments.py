"""Behavioural segments: documented rules over the features (and the score) that strategies can use.

One definition, as Polars expressions (`segment_expr`), applied to the whole portfolio at once; a single
account goes through the same expression on a one-row frame (`segment_of`). First matching rule wins:

1. disputing: the customer disputed (`disputes` > 0).
2. new_to_collections: at most one late month in 12 (`months_late_count_12` <= 1), no outbound
   contact in 90 days and no promise ever.
3. forgot: a good payer with a small slip: never more than 1 month late in 12 (`max_late_12` <= 1),
   at most 2 late months, past bills mostly paid (`pay_ratio_mean` >= 0.8, or no bill history).
4. cannot_pay: declared hardship, or engaged (response rate >= 0.3, inbound contact, a promise, or a
   payment in 90 days) but paying little (`pay_ratio_mean` < 0.5) or with a broken promise.
5. will_not_pay: contacted (>= 3 outbound in 90 days) with little response (< 0.1) and no payment in
   90 days, or 2+ broken promises.
6. unclassified: none of the above (strategies fall back on the risk band).

Missing values never match a rule that needs them (null comparisons are false).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import polars as pl

__all__ = ["Segment", "segment_expr", "segment_of"]


class Segment(StrEnum):
    DISPUTING = "disputing"  # the customer disputes the debt: verify before collecting
    NEW_TO_COLLECTIONS = "new_to_collections"  # first arrears, never worked: a soft reminder
    FORGOT = "forgot"  # a good payer who slipped: a nudge is enough
    CANNOT_PAY = "cannot_pay"  # willing but short of money: plans, hardship options
    WILL_NOT_PAY = "will_not_pay"  # able but unresponsive or breaking promises: firmer steps
    UNCLASSIFIED = "unclassified"  # no rule matched


def _f(name: str, default: float = 0.0) -> pl.Expr:
    return pl.col(name).cast(pl.Float64).fill_null(default)


def segment_expr() -> pl.Expr:
    """The `segment` column over a feature frame (columns of `cupx.analytics.features.FEATURE_NAMES`)."""
    no_contact = _f("contacts_out_90") == 0
    never_promised = _f("promises_total") == 0
    pay_ratio = pl.col("pay_ratio_mean").cast(pl.Float64)
    paid_90 = _f("paid_90") > 0
    engaged = ((_f("response_rate_90") >= 0.3) | (_f("inbound_90") > 0) | (_f("promises_total") > 0) | paid_90)
    rules = [
        (_f("disputes") > 0, Segment.DISPUTING),
        ((_f("months_late_count_12") <= 1) & no_contact & never_promised, Segment.NEW_TO_COLLECTIONS),
        ((_f("max_late_12") <= 1) & (_f("months_late_count_12") <= 2) & (pay_ratio.is_null() | (pay_ratio >= 0.8)),
         Segment.FORGOT),
        ((_f("hardship_declared") > 0) | (engaged & ((pay_ratio.fill_null(1.0) < 0.5) | (_f("promises_broken") > 0))),
         Segment.CANNOT_PAY),
        (((_f("contacts_out_90") >= 3) & (_f("response_rate_90") < 0.1) & ~paid_90) | (_f("promises_broken") >= 2),
         Segment.WILL_NOT_PAY),
    ]
    expr: pl.Expr = pl.lit(Segment.UNCLASSIFIED.value)
    for cond, seg in reversed(rules):
        expr = pl.when(cond).then(pl.lit(seg.value)).otherwise(expr)
    return expr.alias("segment")


def segment_of(features: dict[str, Any]) -> Segment:
    """The segment of one account (same expression on a one-row frame)."""
    frame = pl.DataFrame([features], infer_schema_length=None)
    missing = [c for c in _NEEDED if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in missing])
    return Segment(frame.select(segment_expr()).item())


_NEEDED = ("disputes", "contacts_out_90", "promises_total", "pay_ratio_mean", "paid_90", "response_rate_90",
           "inbound_90", "months_late_count_12", "max_late_12", "hardship_declared", "promises_broken")

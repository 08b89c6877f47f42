"""The rule score: used when no model is active (contract C7 supplies the model score otherwise).

risk_score estimates the probability that the account pays or cures within 30 days:

    0.85 - 0.006 * min(dpd, 120) - 0.08 * min(broken_promises, 3)
         + 0.15 if paid in the last 30 days + 0.05 if a right-party contact in the last 30 days
         - 0.10 if the behaviour is `silent`
    clipped to [0.01, 0.99]

risk_band: A >= 0.80 > B >= 0.60 > C >= 0.40 > D >= 0.20 > E. model_version is "rule-v1".
It is deliberately simple and monotone, so a strategist can predict it; docs/strategies.md repeats it.
"""

from __future__ import annotations

import polars as pl

__all__ = ["RULE_MODEL_VERSION", "band_expr", "rule_score_columns"]

RULE_MODEL_VERSION = "rule-v1"


def band_expr(score: pl.Expr) -> pl.Expr:
    return (pl.when(score >= 0.8).then(pl.lit("A")).when(score >= 0.6).then(pl.lit("B"))
            .when(score >= 0.4).then(pl.lit("C")).when(score >= 0.2).then(pl.lit("D")).otherwise(pl.lit("E")))


def rule_score_columns() -> list[pl.Expr]:
    score = (
        pl.lit(0.85)
        - 0.006 * pl.col("dpd").clip(upper_bound=120)
        - 0.08 * pl.col("broken_promises").clip(upper_bound=3)
        + pl.when(pl.col("paid_30d") > 0).then(0.15).otherwise(0.0)
        + pl.when(pl.col("rpc_30d") > 0).then(0.05).otherwise(0.0)
        - pl.when(pl.col("behaviour") == "silent").then(0.10).otherwise(0.0)
    ).clip(0.01, 0.99).round(4)
    return [score.alias("risk_score"), band_expr(score).alias("risk_band"),
            pl.lit(RULE_MODEL_VERSION).alias("model_version")]

"""Risk bands A..E from the calibrated probability of paying or curing within 30 days.

Cut-offs are fixed on the calibrated probability (not on portfolio quantiles), so a band means the same
thing from one night to the next and across portfolios: A >= 0.80, B >= 0.60, C >= 0.40, D >= 0.20,
E below. A is the most likely to pay.
"""

from __future__ import annotations

import polars as pl

__all__ = ["BAND_CUTOFFS", "risk_band", "risk_band_expr"]

BAND_CUTOFFS: tuple[tuple[str, float], ...] = (("A", 0.80), ("B", 0.60), ("C", 0.40), ("D", 0.20))


def risk_band_expr(score: pl.Expr) -> pl.Expr:
    """A Polars expression giving the band of a calibrated score column (null stays null)."""
    expr: pl.Expr = pl.lit("E")
    for band, cut in reversed(BAND_CUTOFFS):
        expr = pl.when(score >= cut).then(pl.lit(band)).otherwise(expr)
    return pl.when(score.is_null()).then(pl.lit(None, dtype=pl.String())).otherwise(expr).alias("risk_band")


def risk_band(score: float) -> str:
    """The band of one score (same cut-offs as `risk_band_expr`)."""
    for band, cut in BAND_CUTOFFS:
        if score >= cut:
            return band
    return "E"

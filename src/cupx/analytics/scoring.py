"""Scoring a whole portfolio at once (contract C7).

`score_portfolio(tables, as_of, model)` builds the features of every debt as of `as_of` (nothing after
`as_of` is read, see `cupx.analytics.features`), applies the model and its calibration, and returns one
row per debt with the calibrated probability of paying or curing within 30 days, the risk band and the
plain-words reasons. It is columnar: one LightGBM call for the whole frame.

Invariants: one output row per row of `tables["debts"]`; `score` is in [0, 1]; `risk_band` is one of
A..E (A = most likely to pay); `reasons` lists at most `max_reasons` sentences, the features that pushed
the score down the most first.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cupx.analytics.bands import risk_band_expr
from cupx.analytics.features import build_features
from cupx.analytics.model import TrainedModel
from cupx.analytics.reasons import reason_lists

__all__ = ["REASONS_AUTO_LIMIT", "SCORE_SCHEMA", "explain_debts", "score_features", "score_portfolio"]

# `pred_contrib` (TreeSHAP) costs about a millisecond per account, a hundred times the score: by default
# reasons are computed for frames up to this size and left empty above it (a nightly portfolio run);
# single accounts are explained on demand with `explain_debts`.
REASONS_AUTO_LIMIT = 50_000

SCORE_SCHEMA: dict[str, pl.DataType] = {
    "debt_id": pl.Int64(),
    "score": pl.Float64(),
    "risk_band": pl.String(),
    "model_version": pl.String(),
    "reasons": pl.List(pl.String()),
}


def score_portfolio(tables: dict[str, pl.LazyFrame], as_of: date, model: TrainedModel,
                    *, max_reasons: int = 3, with_reasons: bool | None = None) -> pl.DataFrame:
    """Score every debt of the portfolio as of `as_of`.

    `tables` maps table names to lazy frames with the database column names:
    - `debts` (required): id, customer_id, currency, original_minor, opened_on, charge_off_date, status
    - `ledger_entries`: id, debt_id, kind, amount_minor, effective_date, posted_at, reverses_id
    - `contact_events`: customer_id, debt_id, type, channel, at, outcome, right_party
    - `promises`: customer_id, debt_id, amount_minor, promised_on, status, created_at, resolved_at
    - `statements`: debt_id, period, billed_minor, paid_minor, months_late, currency, credit_limit_minor
    Missing tables count as empty. Rows dated after `as_of` are ignored.

    Returns a DataFrame with columns debt_id (Int64), score (Float64: calibrated probability that the
    account pays or cures within 30 days), risk_band (A..E), model_version (str) and reasons
    (list[str], plain-words reason codes from LightGBM `pred_contrib`).

    `with_reasons`: True always computes reasons, False never (empty lists), None (default) computes
    them when there are at most `REASONS_AUTO_LIMIT` debts. Explain the accounts a person looks at with
    `explain_debts` (same model, same numbers).
    """
    features = build_features(tables, as_of)
    return score_features(features, model, max_reasons=max_reasons, with_reasons=with_reasons)


def explain_debts(tables: dict[str, pl.LazyFrame], as_of: date, model: TrainedModel, debt_ids: list[int],
                  *, max_reasons: int = 3) -> pl.DataFrame:
    """Scores with reasons for a few debts (an agent's account view, `cycle explain`): the tables are cut
    down to those debts and their customers first, so the cost does not grow with the portfolio."""
    ids = pl.Series("id", debt_ids, dtype=pl.Int64)
    debts = tables["debts"].filter(pl.col("id").cast(pl.Int64).is_in(ids.implode()))
    customers = debts.select(pl.col("customer_id").cast(pl.Int64)).collect()["customer_id"]
    cut: dict[str, pl.LazyFrame] = {"debts": debts}
    for name, frame in tables.items():
        if name in ("statements", "ledger_entries", "promises"):
            cut[name] = frame.filter(pl.col("debt_id").cast(pl.Int64).is_in(ids.implode()))
        elif name == "contact_events":
            cut[name] = frame.filter(pl.col("customer_id").cast(pl.Int64).is_in(customers.implode()))
    return score_portfolio(cut, as_of, model, max_reasons=max_reasons, with_reasons=True)


def score_features(features: pl.DataFrame, model: TrainedModel, *, max_reasons: int = 3,
                   with_reasons: bool | None = None) -> pl.DataFrame:
    """Score an already built feature frame (one row per debt, `debt_id` plus the model's features)."""
    if features.height == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    matrix = model.matrix(features)
    raw = model.predict_raw(matrix)
    score = model.calibrate(raw)
    if with_reasons is None:
        with_reasons = features.height <= REASONS_AUTO_LIMIT
    if with_reasons:
        reasons = reason_lists(model.contributions(matrix), model.feature_names, max_reasons=max_reasons)
    else:
        reasons = pl.Series("reasons", [[]], dtype=pl.List(pl.String())).new_from_index(0, features.height)
    return pl.DataFrame({
        "debt_id": features["debt_id"].cast(pl.Int64),
        "score": score,
        "model_version": [model.version] * features.height,
        "reasons": pl.Series("reasons", reasons, dtype=pl.List(pl.String())),
    }).with_columns(risk_band_expr(pl.col("score"))).select(list(SCORE_SCHEMA))

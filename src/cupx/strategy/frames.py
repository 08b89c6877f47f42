"""The frames the compiled plan reads, with their Polars schemas.

- features: one row per debt: `debt_id`, `customer_id`, `episode` (the due date of the oldest unpaid
  instalment: progress on a ladder belongs to one delinquency episode, so a debt that cures and falls
  behind again starts its ladder afresh), `is_open` (something is unpaid), and every catalogue feature.
- progress: one row per (debt, episode, step) tried or skipped: `attempts`, `skipped`, `last_on`.
- assignments: stored experiment arms: `experiment_id`, `customer_id`, `arm`.
"""

from __future__ import annotations

import polars as pl

from cupx.strategy.catalogue import FEATURES, FeatureKind

__all__ = ["ASSIGNMENT_SCHEMA", "FEATURE_SCHEMA", "PROGRESS_SCHEMA", "empty"]

_KIND_DTYPE: dict[FeatureKind, pl.DataType] = {
    FeatureKind.NUMBER: pl.Int64(), FeatureKind.TEXT: pl.String(), FeatureKind.FLAG: pl.Boolean()}

FEATURE_SCHEMA: dict[str, pl.DataType] = {
    "debt_id": pl.Int64(), "customer_id": pl.Int64(), "episode": pl.Date(), "is_open": pl.Boolean(),
    **{name: (pl.Float64() if name == "risk_score" else _KIND_DTYPE[kind]) for name, kind in FEATURES.items()},
}

PROGRESS_SCHEMA: dict[str, pl.DataType] = {
    "debt_id": pl.Int64(), "episode": pl.Date(), "step_id": pl.String(), "attempts": pl.Int64(),
    "skipped": pl.Boolean(), "last_on": pl.Date()}

ASSIGNMENT_SCHEMA: dict[str, pl.DataType] = {
    "experiment_id": pl.String(), "customer_id": pl.Int64(), "arm": pl.String()}


def empty(schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    return pl.LazyFrame(schema=schema)

"""Training the propensity-to-pay model on the portfolio's own history, with time-based validation.

`training_frame(tables, as_ofs)` stacks one snapshot per cut-off date: the features as of the date
(no look-ahead) joined with the label of the 30 days after it. `train(frame, ...)`:
- validation is time-based: the booster learns on every snapshot before the latest one and is judged
  on the latest; with a single snapshot it falls back to a split by account (hash of debt_id);
- the validation accounts are split in two by debt_id: one half stops the boosting early and fits the
  calibrator, the other half gives the reported metrics and the reliability table, so no figure is
  measured on data that fitted anything;
- the feature and score distributions of the training rows are stored as the drift baseline;
- `refit=True` refits the booster on every row once the held-out figures are measured.
Everything is deterministic for a given frame, parameters and seed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from cupx.analytics.calibration import fit_calibrator, reliability_table
from cupx.analytics.features import FEATURE_NAMES, build_features
from cupx.analytics.labels import build_labels
from cupx.analytics.metrics import baseline, summary
from cupx.analytics.model import DEFAULT_PARAMS, DEFAULT_ROUNDS, TrainedModel, fit_booster, library_versions

__all__ = ["LARGE_ROWS", "TrainingResult", "data_hash", "train", "training_frame"]

LARGE_ROWS = 200_000
LARGE_LEARNING_RATE = 0.1


@dataclass(frozen=True)
class TrainingResult:
    model: TrainedModel
    metrics: dict[str, float]
    reliability: pl.DataFrame


def training_frame(tables: dict[str, pl.LazyFrame], as_ofs: Sequence[date]) -> pl.DataFrame:
    """Stacked snapshots: as_of, debt_id, label and every feature."""
    parts = []
    for day in as_ofs:
        feats = build_features(tables, day)
        labels = build_labels(tables, day)
        parts.append(feats.join(labels, on="debt_id", how="inner").with_columns(pl.lit(day).alias("as_of")))
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts, how="vertical_relaxed")


def data_hash(frame: pl.DataFrame) -> str:
    """SHA-256 of the training rows (stable for the same content and order)."""
    digest = hashlib.sha256()
    for h in frame.sort(["as_of", "debt_id"]).hash_rows(seed=0).to_numpy():
        digest.update(int(h).to_bytes(8, "little"))
    return digest.hexdigest()


def _matrix(frame: pl.DataFrame, names: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray(frame.select([pl.col(n).cast(pl.Float64) for n in names]).to_numpy(), dtype=np.float64)


def _raw(booster: Any, x: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray(booster.predict(x, raw_score=True), dtype=np.float64)


def _split(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    days = frame["as_of"].unique().sort()
    if days.len() > 1:
        last = days[-1]
        return frame.filter(pl.col("as_of") < last), frame.filter(pl.col("as_of") == last)
    bucket = pl.col("debt_id").hash(seed=11) % 10
    return frame.filter(bucket >= 3), frame.filter(bucket < 3)


def train(frame: pl.DataFrame, version: str, *, params: dict[str, Any] | None = None,
          rounds: int = DEFAULT_ROUNDS, calibration: str = "platt",
          features: Sequence[str] = FEATURE_NAMES, refit: bool = False) -> TrainingResult:
    """Fit, calibrate and evaluate a model on a `training_frame`.

    With `refit`, the returned booster is refitted on every row (validation included) after the
    metrics and the calibrator were measured on the held-out rows; the metrics describe the
    held-out booster."""
    if frame.height == 0 or frame["label"].n_unique() < 2:
        from cupx.domain.errors import ValidationError

        raise ValidationError("training needs labelled accounts of both outcomes (payers and non-payers)",
                              field="history")
    fit_rows, valid = _split(frame)
    if fit_rows.height >= LARGE_ROWS and "learning_rate" not in (params or {}):
        # With this many rows a larger step reaches the same loss in a third of the trees: training
        # and nightly scoring (cost proportional to the trees) get three times faster.
        params = {**(params or {}), "learning_rate": LARGE_LEARNING_RATE}
    names = tuple(features)
    x_fit = _matrix(fit_rows, names)
    half = (pl.col("debt_id").hash(seed=5) % 2) == 0
    cal_rows, test_rows = valid.filter(half), valid.filter(~half)
    x_cal, y_cal = _matrix(cal_rows, names), cal_rows["label"].to_numpy()
    booster = fit_booster(x_fit, fit_rows["label"].to_numpy(), names, params, rounds, valid=(x_cal, y_cal))
    cal = fit_calibrator(_raw(booster, x_cal), cal_rows["label"].to_numpy(),
                         calibration)
    y_test = test_rows["label"].to_numpy()
    prob = cal.apply(_raw(booster, _matrix(test_rows, names)))
    metrics = summary(y_test, prob)
    fit_prob = cal.apply(_raw(booster, x_fit))
    meta = {
        "data_hash": data_hash(frame), "metrics": metrics, "library_versions": library_versions(),
        "params": {**DEFAULT_PARAMS, **(params or {}), "rounds": rounds, "trees": booster.num_trees(),
                   "calibration": calibration},
        "snapshots": [d.isoformat() for d in frame["as_of"].unique().sort().to_list()],
        "rows": {"fit": fit_rows.height, "calibration": cal_rows.height, "test": test_rows.height},
        "baseline": {"features": {n: baseline(x_fit[:, i]) for i, n in enumerate(names)},
                     "score": baseline(fit_prob)},
    }
    if refit:  # as many trees as early stopping kept
        booster = fit_booster(_matrix(frame, names), frame["label"].to_numpy(), names, params, booster.num_trees())
    model = TrainedModel.from_booster(version, booster, cal, meta)
    return TrainingResult(model, metrics, reliability_table(prob, y_test))

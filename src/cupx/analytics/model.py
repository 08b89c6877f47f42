"""The propensity-to-pay model: a LightGBM booster, its calibration and what it was trained on.

A `TrainedModel` is immutable data: the booster as LightGBM's text format, the calibrator, the feature
list, the version and the training metadata (data hash, metrics, library versions). `to_bytes` /
`from_bytes` give a JSON artefact; writing it to disk is the model store adapter's job.

The positive class is "pays or cures within 30 days"; `calibrate(predict_raw(X))` is its probability.
LightGBM runs with 2 threads (a shared 2-core machine) and deterministic settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl

from cupx.analytics.calibration import Calibrator

__all__ = ["DEFAULT_PARAMS", "NUM_THREADS", "TrainedModel", "fit_booster", "library_versions"]

NUM_THREADS = 2
FloatArray = npt.NDArray[np.float64]

# Tuned on the UCI credit-card data (bench/uci.py, 5-fold CV): small learning rate, shallow-ish trees
# and strong leaf minimums generalise better than a deep fast fit on 30k accounts.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 80,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "max_bin": 255,
    "num_threads": NUM_THREADS,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
    "seed": 7,
}
DEFAULT_ROUNDS = 400
EARLY_STOP = 50


def library_versions() -> dict[str, str]:
    import sklearn

    return {"lightgbm": lgb.__version__, "polars": pl.__version__, "numpy": np.__version__,
            "scikit-learn": sklearn.__version__}


def fit_booster(x: FloatArray, y: npt.NDArray[np.int_], feature_names: tuple[str, ...],
                params: dict[str, Any] | None = None, rounds: int = DEFAULT_ROUNDS,
                valid: tuple[FloatArray, npt.NDArray[np.int_]] | None = None) -> lgb.Booster:
    """Fit a booster on a float matrix (NaN = missing) and 0/1 labels (1 = pays or cures).

    With `valid`, boosting stops once the validation log-loss has not improved for `EARLY_STOP` rounds
    and the booster keeps its best iteration: fewer trees score faster at portfolio scale."""
    merged = {**DEFAULT_PARAMS, **(params or {})}
    data = lgb.Dataset(x, label=y, feature_name=list(feature_names), free_raw_data=True,
                       params={"max_bin": merged["max_bin"], "verbose": -1})
    if valid is None or len(np.unique(valid[1])) < 2:
        return lgb.train(merged, data, num_boost_round=rounds)
    check = lgb.Dataset(valid[0], label=valid[1], reference=data)
    booster = lgb.train({**merged, "metric": "binary_logloss"}, data, num_boost_round=rounds, valid_sets=[check],
                        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])
    if booster.best_iteration and booster.best_iteration < booster.current_iteration():
        booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    return booster


@dataclass(frozen=True)
class TrainedModel:
    """A versioned, calibrated booster. `metadata` holds data hash, metrics and library versions."""

    version: str
    feature_names: tuple[str, ...]
    booster_text: str
    calibrator: Calibrator
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def booster(self) -> lgb.Booster:
        return lgb.Booster(model_str=self.booster_text)

    def matrix(self, features: pl.DataFrame) -> FloatArray:
        """The model's feature columns as a float matrix; a feature absent from the frame is missing."""
        cols = [
            pl.col(n).cast(pl.Float64) if n in features.columns else pl.lit(None, dtype=pl.Float64).alias(n)
            for n in self.feature_names
        ]
        return np.asarray(features.select(cols).to_numpy(), dtype=np.float64)

    def predict_raw(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.booster.predict(x, raw_score=True, num_threads=NUM_THREADS), dtype=np.float64)

    def calibrate(self, raw: FloatArray) -> FloatArray:
        return self.calibrator.apply(raw)

    def predict(self, x: FloatArray) -> FloatArray:
        """Calibrated probability of paying or curing within 30 days."""
        return self.calibrate(self.predict_raw(x))

    def contributions(self, x: FloatArray) -> FloatArray:
        """LightGBM `pred_contrib`: per-feature contributions to the raw margin, last column the bias."""
        return np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=NUM_THREADS), dtype=np.float64)

    def to_bytes(self) -> bytes:
        doc = {"version": self.version, "feature_names": list(self.feature_names),
               "calibrator": self.calibrator.to_dict(), "metadata": self.metadata, "booster": self.booster_text}
        return json.dumps(doc, sort_keys=True, default=str).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TrainedModel:
        doc = json.loads(blob)
        return cls(version=str(doc["version"]), feature_names=tuple(doc["feature_names"]),
                   booster_text=str(doc["booster"]), calibrator=Calibrator.from_dict(doc["calibrator"]),
                   metadata=dict(doc.get("metadata", {})))

    @classmethod
    def from_booster(cls, version: str, booster: lgb.Booster, calibrator: Calibrator,
                     metadata: dict[str, Any] | None = None) -> TrainedModel:
        return cls(version=version, feature_names=tuple(booster.feature_name()),
                   booster_text=booster.model_to_string(), calibrator=calibrator, metadata=dict(metadata or {}))

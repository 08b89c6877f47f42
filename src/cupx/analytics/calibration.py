"""Probability calibration of the booster's raw margin, and the reliability table.

Two methods: Platt scaling (a logistic curve on the raw margin; strictly monotone, so ranking metrics
such as AUC are unchanged) and isotonic regression (a monotone step function, stored as its knots and
applied with linear interpolation). A `Calibrator` is plain data so it serialises to JSON.

Invariant: the output is a probability in [0, 1] and is non-decreasing in the raw margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["Calibrator", "fit_calibrator", "reliability_table"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Calibrator:
    """`method` is "platt" (params a, b: p = 1 / (1 + exp(-(a*x + b)))) or "isotonic" (knots x, y)."""

    method: str
    a: float = 1.0
    b: float = 0.0
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()

    def apply(self, raw: FloatArray) -> FloatArray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "platt":
            return np.asarray(1.0 / (1.0 + np.exp(-(self.a * raw + self.b))), dtype=np.float64)
        if self.method == "isotonic":
            return np.asarray(np.clip(np.interp(raw, self.knots_x, self.knots_y), 0.0, 1.0), dtype=np.float64)
        if self.method == "identity":  # raw already a margin: plain sigmoid
            return np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)
        raise ValueError(f"unknown calibration method {self.method!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "a": self.a, "b": self.b,
                "knots_x": list(self.knots_x), "knots_y": list(self.knots_y)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        return cls(method=str(data["method"]), a=float(data.get("a", 1.0)), b=float(data.get("b", 0.0)),
                   knots_x=tuple(float(v) for v in data.get("knots_x", ())),
                   knots_y=tuple(float(v) for v in data.get("knots_y", ())))


def fit_calibrator(raw: FloatArray, y: npt.NDArray[np.int_], method: str = "platt") -> Calibrator:
    """Fit a calibrator on held-out raw margins `raw` and 0/1 outcomes `y`."""
    raw = np.asarray(raw, dtype=np.float64)
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return Calibrator("identity")
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e6, max_iter=1000)
        lr.fit(raw.reshape(-1, 1), y)
        return Calibrator("platt", a=float(lr.coef_[0][0]), b=float(lr.intercept_[0]))
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(raw, y)
        return Calibrator("isotonic", knots_x=tuple(float(v) for v in iso.X_thresholds_),
                          knots_y=tuple(float(v) for v in iso.y_thresholds_))
    raise ValueError(f"unknown calibration method {method!r}")


def reliability_table(prob: FloatArray, y: npt.NDArray[np.int_], bins: int = 10) -> pl.DataFrame:
    """Equal-width probability bins: accounts, mean predicted probability, observed rate, gap."""
    frame = pl.DataFrame({"p": np.asarray(prob, dtype=np.float64), "y": np.asarray(y, dtype=np.float64)})
    edge = (pl.col("p") * bins).floor().clip(0, bins - 1).cast(pl.Int32)
    return (
        frame.with_columns(edge.alias("bin"))
        .group_by("bin")
        .agg(pl.len().alias("accounts"), pl.col("p").mean().alias("predicted"), pl.col("y").mean().alias("observed"))
        .with_columns(
            (pl.col("bin") / bins).alias("lower"), ((pl.col("bin") + 1) / bins).alias("upper"),
            (pl.col("observed") - pl.col("predicted")).alias("gap"),
        )
        .sort("bin")
        .select("lower", "upper", "accounts", "predicted", "observed", "gap")
    )

"""Model handlers: train, activate, evaluate, drift. Each takes a unit of work and `now`/`as_of`.

- `train_model`: snapshots at `as_of` and the `snapshots - 1` month-ends before it (each labelled by
  the 30 days after it, so `as_of` must be at least 30 days in the past), time-based validation (see
  `cupx.analytics.training`), registers the version; it does not activate it.
- `activate_model`: the explicit choice of the model the cycle uses.
- `evaluate_model`: AUC, KS, Brier, capture at 10 % / 20 % and the reliability table of a version on the
  snapshot at `as_of`.
- `drift_report`: PSI per feature and for the score, today's portfolio against the training baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from cupx.analytics.calibration import reliability_table
from cupx.analytics.features import build_features
from cupx.analytics.labels import build_labels
from cupx.analytics.metrics import psi_against, summary
from cupx.analytics.model import TrainedModel
from cupx.analytics.training import TrainingResult, train, training_frame
from cupx.domain.errors import NotFound, ValidationError
from cupx.services.models import ModelRecord, ModelRegistry, PortfolioReader
from cupx.services.uow import UnitOfWork

__all__ = ["Evaluation", "activate_model", "drift_report", "evaluate_model", "snapshot_dates", "train_model"]


@dataclass(frozen=True)
class Evaluation:
    version: str
    as_of: date
    metrics: dict[str, float]
    reliability: pl.DataFrame


def snapshot_dates(as_of: date, count: int) -> list[date]:
    """`as_of` and the same day of the `count - 1` months before it (day clipped to 28), oldest first."""
    days = []
    for back in range(count):
        idx = as_of.year * 12 + as_of.month - 1 - back
        days.append(date(idx // 12, idx % 12 + 1, min(as_of.day, 28) if back else as_of.day))
    return sorted(days)


def train_model(uow: UnitOfWork, *, as_of: date, now: datetime, snapshots: int = 3, rounds: int = 400,
                calibration: str = "platt", params: dict[str, Any] | None = None,
                version: str | None = None) -> tuple[TrainingResult, ModelRecord]:
    if (now.date() - as_of).days < 30:
        raise ValidationError("as_of must be at least 30 days ago: its label is the 30 days after it",
                              field="as_of")
    tables = uow[PortfolioReader].tables()
    frame = training_frame(tables, snapshot_dates(as_of, snapshots))
    version = version or f"ptp-{now:%Y%m%d%H%M%S}"
    result = train(frame, version, params=params, rounds=rounds, calibration=calibration)
    record = uow[ModelRegistry].save(result.model, created_at=now, trained_as_of=as_of)
    uow.commit()
    return result, record


def activate_model(uow: UnitOfWork, version: str, *, now: datetime, by: str) -> ModelRecord:
    record = uow[ModelRegistry].activate(version, at=now, by=by)
    uow.commit()
    return record


def _model(uow: UnitOfWork, version: str | None) -> TrainedModel:
    registry = uow[ModelRegistry]
    model = registry.get(version) if version else registry.active()
    if model is None:
        raise NotFound("no active model: train one and `cupx model activate VERSION`", field="version")
    return model


def evaluate_model(uow: UnitOfWork, *, as_of: date, version: str | None = None) -> Evaluation:
    model = _model(uow, version)
    tables = uow[PortfolioReader].tables()
    frame = build_features(tables, as_of).join(build_labels(tables, as_of), on="debt_id", how="inner")
    if frame.height == 0:
        raise ValidationError(f"no labelled accounts as of {as_of}", field="as_of")
    prob = model.predict(model.matrix(frame))
    y = frame["label"].to_numpy()
    return Evaluation(model.version, as_of, summary(y, prob), reliability_table(prob, y))


def drift_report(uow: UnitOfWork, *, as_of: date, version: str | None = None) -> pl.DataFrame:
    """feature, psi, level (stable < 0.1 <= moderate < 0.25 <= major); the score is the row `score`."""
    model = _model(uow, version)
    features = build_features(uow[PortfolioReader].tables(), as_of)
    base = model.metadata.get("baseline", {})
    x = model.matrix(features)
    rows = [(n, psi_against(base["features"][n], x[:, i])) for i, n in enumerate(model.feature_names)
            if n in base.get("features", {})]
    if "score" in base and features.height:
        rows.insert(0, ("score", psi_against(base["score"], model.predict(x))))
    frame = pl.DataFrame(rows, schema={"feature": pl.String, "psi": pl.Float64}, orient="row")
    level = (pl.when(pl.col("psi") >= 0.25).then(pl.lit("major")).when(pl.col("psi") >= 0.1)
             .then(pl.lit("moderate")).otherwise(pl.lit("stable")))
    return frame.with_columns(level.alias("level"))

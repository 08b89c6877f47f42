"""A synthetic file in the UCI "default of credit card clients" layout, for tests that must not fetch the
real data: a hidden risk drives lateness, payments and the default label, so a model has signal to learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["write_uci_csv"]


def write_uci_csv(path: Path, n: int = 400, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    cols: dict[str, object] = {"ID": np.arange(1, n + 1), "LIMIT_BAL": rng.choice([20_000, 50_000, 200_000], n),
                               "SEX": rng.integers(1, 3, n), "EDUCATION": rng.integers(1, 4, n),
                               "MARRIAGE": rng.integers(1, 3, n), "AGE": rng.integers(21, 70, n)}
    for name in ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"):
        cols[name] = np.clip(np.round(risk + rng.normal(0, 0.8, n)), -2, 8).astype(int)
    for k in range(1, 7):
        cols[f"BILL_AMT{k}"] = rng.integers(-500, 60_000, n)
        cols[f"PAY_AMT{k}"] = (rng.integers(0, 5_000, n) * (risk < 0.5)).astype(float)
    cols["default.payment.next.month"] = (risk + rng.normal(0, 0.7, n) > 0.8).astype(int)
    pl.DataFrame(cols).write_csv(path)
    return path

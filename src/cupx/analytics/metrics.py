"""Model quality and stability measures: AUC, KS, Brier, capture, PSI.

Conventions: `y` is 1 when the account pays or cures; `score` is the probability of that. Capture at
q % is the share of all non-payers found among the q % of accounts with the lowest scores (the ones a
collector would work first). PSI compares a current distribution with the training baseline over the
baseline's decile edges; nulls are their own bin; 0.1-0.25 is a moderate shift, above 0.25 a major one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["auc", "baseline", "brier", "capture", "ks", "psi", "psi_against", "summary"]

FloatArray = npt.NDArray[np.float64]
_EPS = 1e-4


def auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def ks(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score CDFs of payers and non-payers."""
    from sklearn.metrics import roc_curve

    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, score)
    return float(np.max(np.abs(tpr - fpr)))


def brier(y: npt.ArrayLike, prob: npt.ArrayLike) -> float:
    return float(np.mean((np.asarray(prob, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


def capture(y: npt.ArrayLike, score: npt.ArrayLike, share: float) -> float:
    """Share of all non-payers among the `share` lowest-scored accounts."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    bad = y == 0
    if bad.sum() == 0:
        return float("nan")
    n = max(1, int(round(len(y) * share)))
    worst = np.argsort(score, kind="stable")[:n]
    return float(bad[worst].sum() / bad.sum())


def summary(y: npt.ArrayLike, prob: npt.ArrayLike) -> dict[str, float]:
    return {"accounts": float(len(np.asarray(y))), "pay_rate": float(np.mean(np.asarray(y))),
            "auc": auc(y, prob), "ks": ks(y, prob), "brier": brier(y, prob),
            "capture_10": capture(y, prob, 0.10), "capture_20": capture(y, prob, 0.20)}


def baseline(values: npt.ArrayLike, bins: int = 10) -> dict[str, Any]:
    """Decile edges and the share of values in each bin (plus the null share) for later PSI."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[~np.isnan(v)]
    if finite.size == 0:
        return {"edges": [], "shares": [], "null_share": 1.0}
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
    shares = _shares(v, edges)
    return {"edges": edges.tolist(), "shares": shares[:-1].tolist(), "null_share": float(shares[-1])}


def _shares(v: FloatArray, edges: FloatArray) -> FloatArray:
    """Shares per bin (len(edges) + 1 bins) and, last, the null share."""
    nulls = np.isnan(v)
    idx = np.searchsorted(edges, v[~nulls], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(np.float64)
    total = max(len(v), 1)
    return np.append(counts / total, nulls.sum() / total)


def psi(expected: FloatArray, actual: FloatArray) -> float:
    """Population stability index between two share vectors over the same bins."""
    e = np.clip(np.asarray(expected, dtype=np.float64), _EPS, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_against(base: dict[str, Any], values: npt.ArrayLike) -> float:
    """PSI of `values` against a `baseline(...)` record."""
    edges = np.asarray(base["edges"], dtype=np.float64)
    if edges.size == 0:  # the baseline was all nulls: one (empty) value bin and the null bin
        expected = np.array([0.0, 1.0])
    else:
        expected = np.append(np.asarray(base["shares"], dtype=np.float64), base["null_share"])
    actual = _shares(np.asarray(values, dtype=np.float64), edges)
    return psi(expected, actual)

"""Champion/challenger statistics: per-arm outcomes, confidence intervals, significance, a recommendation.

Inputs are plain frames (the service reads them): assignments (customer_id, arm, assigned_on), the
debts of those customers (debt_id, customer_id, balance at assignment), payments after assignment
(customer_id, amount_minor, effective_date) and contact events (customer_id, type, channel).

Per arm: accounts (customers), pay rate (any payment since assignment), cure rate (balance fully paid),
recovery rate (collected / balance at assignment), amount collected per account, contact cost per
account (unit cost per channel, `CONTACT_COSTS`), complaints and opt-outs.
Tests against the champion (the arm named "champion", else the first arm alphabetically):
two-proportion z-test on the pay and cure rates with Wilson 95 % intervals; a seeded bootstrap for the
difference in amount collected per account. Below `min_sample` accounts in an arm the report warns and
recommends to keep running.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

__all__ = ["CONTACT_COSTS", "ArmResult", "Comparison", "ExperimentReport", "arm_outcomes", "bootstrap_diff",
           "two_proportion_z", "wilson"]

CONTACT_COSTS: dict[str, float] = {"sms": 0.02, "email": 0.002, "letter": 0.85, "call": 1.50}
_OUTBOUND = {"text_sent": "sms", "email_sent": "email", "letter_sent": "letter", "call_placed": "call"}


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) for H0: p1 == p2, pooled standard error; (0, 1) when undefined."""
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / se
    return z, 2 * (1 - _phi(abs(z)))


def wilson(x: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def bootstrap_diff(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], *, reps: int = 2000,
                   seed: int = 0) -> tuple[float, float, float, float]:
    """(mean(b) - mean(a), 2.5 %, 97.5 %, two-sided bootstrap p) with a seeded generator."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0, 0.0, 1.0
    rng = np.random.default_rng(seed)
    ma = a[rng.integers(0, len(a), (reps, len(a)))].mean(axis=1) if len(a) * reps <= 5e7 else _chunked(a, reps, rng)
    mb = b[rng.integers(0, len(b), (reps, len(b)))].mean(axis=1) if len(b) * reps <= 5e7 else _chunked(b, reps, rng)
    diffs = mb - ma
    p = 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean()))
    return float(b.mean() - a.mean()), float(np.quantile(diffs, 0.025)), float(np.quantile(diffs, 0.975)), min(p, 1.0)


def _chunked(x: np.ndarray[Any, Any], reps: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    return np.array([x[rng.integers(0, len(x), len(x))].mean() for _ in range(reps)])


@dataclass(frozen=True)
class ArmResult:
    arm: str
    accounts: int
    payers: int
    cured: int
    pay_rate: float
    pay_rate_ci: tuple[float, float]
    cure_rate: float
    cure_rate_ci: tuple[float, float]
    recovery_rate: float
    collected_per_account: float  # minor units
    contact_cost_per_account: float  # currency units
    complaints: int
    opt_outs: int


@dataclass(frozen=True)
class Comparison:
    challenger: str
    pay_rate_diff: float
    pay_rate_z: float
    pay_rate_p: float
    cure_rate_diff: float
    cure_rate_p: float
    collected_diff: float
    collected_diff_ci: tuple[float, float]
    collected_p: float


@dataclass(frozen=True)
class ExperimentReport:
    experiment_id: str
    champion: str
    arms: list[ArmResult]
    comparisons: list[Comparison]
    warnings: list[str] = field(default_factory=list)
    recommendation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def arm_outcomes(assignments: pl.DataFrame, debts: pl.DataFrame, payments: pl.DataFrame,
                 contacts: pl.DataFrame) -> pl.DataFrame:
    """Per customer: arm, balance, collected, cured, contact cost, complaints, opt-outs."""
    bal = debts.group_by("customer_id").agg(pl.col("balance_minor").sum().alias("balance"))
    paid = payments.group_by("customer_id").agg(pl.col("amount_minor").sum().alias("collected"))
    cost = pl.col("type").replace_strict(_OUTBOUND, default=None).replace_strict(CONTACT_COSTS, default=0.0,
                                                                                  return_dtype=pl.Float64)
    ce = contacts.group_by("customer_id").agg(
        cost.sum().alias("contact_cost"), (pl.col("type") == "complaint").sum().alias("complaints"),
        (pl.col("type") == "electronic_opt_out").sum().alias("opt_outs"))
    out = (assignments.select("customer_id", "arm").join(bal, on="customer_id", how="left")
           .join(paid, on="customer_id", how="left").join(ce, on="customer_id", how="left")
           .with_columns(pl.col("balance").fill_null(0), pl.col("collected").fill_null(0),
                         pl.col("contact_cost").fill_null(0.0), pl.col("complaints").fill_null(0),
                         pl.col("opt_outs").fill_null(0)))
    return out.with_columns((pl.col("collected") > 0).alias("paid"),
                            ((pl.col("balance") > 0) & (pl.col("collected") >= pl.col("balance"))).alias("cured"))

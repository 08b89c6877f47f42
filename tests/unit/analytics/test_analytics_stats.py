"""Calibration, metrics, PSI and experiment statistics against known values."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from cupx.analytics.calibration import Calibrator, fit_calibrator, reliability_table
from cupx.analytics.experiments import bootstrap_diff, two_proportion_z, wilson
from cupx.analytics.experiments_report import build_report
from cupx.analytics.metrics import auc, baseline, brier, capture, ks, psi, psi_against


def test_two_proportion_z_matches_textbook_value() -> None:
    z, p = two_proportion_z(50, 100, 60, 100)  # pooled 0.55, se 0.070356
    assert z == pytest.approx(1.42134, abs=1e-4)
    assert p == pytest.approx(0.15522, abs=1e-4)


def test_wilson_interval_known_value() -> None:
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.40383, abs=1e-4) and hi == pytest.approx(0.59617, abs=1e-4)


def test_bootstrap_is_seeded_and_centred() -> None:
    a, b = np.full(200, 10.0), np.full(200, 12.0)
    assert bootstrap_diff(a, b) == (2.0, 2.0, 2.0, 0.0)
    rng = np.random.default_rng(1)
    x, y = rng.normal(0, 1, 300), rng.normal(0, 1, 300)
    assert bootstrap_diff(x, y, seed=3) == bootstrap_diff(x, y, seed=3)
    assert bootstrap_diff(x, y)[3] > 0.05


def test_psi_known_value_and_zero_for_same_distribution() -> None:
    assert psi(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    expected = 0.1 * math.log(0.6 / 0.5) + (-0.1) * math.log(0.4 / 0.5)
    assert psi(np.array([0.5, 0.5]), np.array([0.6, 0.4])) == pytest.approx(expected)
    values = np.random.default_rng(0).normal(size=5000)
    base = baseline(values)
    assert psi_against(base, values) == pytest.approx(0.0, abs=1e-9)
    assert psi_against(base, values + 1.0) > 0.25
    all_null = baseline(np.full(10, np.nan))
    assert psi_against(all_null, np.full(5, np.nan)) == 0.0 and psi_against(all_null, np.ones(5)) > 0.25


def test_auc_ks_brier_capture() -> None:
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.8, 0.9])
    assert auc(y, s) == 1.0 and ks(y, s) == 1.0
    assert brier(y, s) == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert capture(y, s, 0.5) == 1.0  # both non-payers are in the lowest-scored half


def test_platt_is_monotone_and_calibrates() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2 * raw + 0.5)))).astype(int)
    cal = fit_calibrator(raw, y, "platt")
    assert cal.a == pytest.approx(2.0, rel=0.15) and cal.b == pytest.approx(0.5, abs=0.15)
    grid = np.linspace(-3, 3, 50)
    assert np.all(np.diff(cal.apply(grid)) > 0)
    assert Calibrator.from_dict(cal.to_dict()) == cal


def test_isotonic_is_monotone_and_bounded() -> None:
    rng = np.random.default_rng(1)
    raw = rng.normal(size=2000)
    y = (raw + rng.normal(size=2000) > 0).astype(int)
    cal = fit_calibrator(raw, y, "isotonic")
    out = cal.apply(np.linspace(-5, 5, 200))
    assert np.all(np.diff(out) >= 0) and out.min() >= 0 and out.max() <= 1


def test_reliability_table_counts_every_account() -> None:
    prob = np.array([0.05, 0.15, 0.15, 0.95])
    table = reliability_table(prob, np.array([0, 0, 1, 1]))
    assert table["accounts"].sum() == 4
    row = table.filter(pl.col("lower") == 0.1).row(0, named=True)
    assert row["observed"] == 0.5 and row["predicted"] == pytest.approx(0.15)


def _outcomes(n_champ: int, n_chal: int, pay_champ: float, pay_chal: float) -> pl.DataFrame:
    rows = []
    for arm, n, rate in (("champion", n_champ, pay_champ), ("gentle", n_chal, pay_chal)):
        payers = int(n * rate)
        for i in range(n):
            paid = i < payers
            rows.append({"customer_id": len(rows) + 1, "arm": arm, "balance": 10_000,
                         "collected": 10_000 if paid else 0, "contact_cost": 0.5, "complaints": 0,
                         "opt_outs": 0, "paid": paid, "cured": paid})
    return pl.DataFrame(rows)


def test_report_recommends_a_clearly_better_challenger() -> None:
    report = build_report("exp1", _outcomes(1000, 1000, 0.30, 0.40))
    assert report.champion == "champion" and not report.warnings
    comp = report.comparisons[0]
    assert comp.pay_rate_p < 0.001 and comp.collected_diff == pytest.approx(1000.0)
    assert report.recommendation.startswith("Promote gentle")


def test_report_warns_below_minimum_sample() -> None:
    report = build_report("exp2", _outcomes(50, 50, 0.30, 0.60))
    assert any("below the minimum sample" in w for w in report.warnings)
    assert report.recommendation.startswith("Keep running")

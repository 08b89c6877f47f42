"""Turning per-customer outcomes (`cupx.analytics.experiments.arm_outcomes`) into the experiment report."""

from __future__ import annotations

import polars as pl

from cupx.analytics.experiments import (
    ArmResult,
    Comparison,
    ExperimentReport,
    bootstrap_diff,
    two_proportion_z,
    wilson,
)

__all__ = ["MIN_SAMPLE", "build_report"]

MIN_SAMPLE = 400  # per arm: detects a 10-point pay-rate change around 50 % at alpha 0.05, power 0.8


def _arm(name: str, rows: pl.DataFrame) -> ArmResult:
    n = rows.height
    payers, cured = int(rows["paid"].sum()), int(rows["cured"].sum())
    balance, collected = float(rows["balance"].sum()), float(rows["collected"].sum())
    return ArmResult(
        arm=name, accounts=n, payers=payers, cured=cured, pay_rate=payers / n if n else 0.0,
        pay_rate_ci=wilson(payers, n), cure_rate=cured / n if n else 0.0, cure_rate_ci=wilson(cured, n),
        recovery_rate=collected / balance if balance > 0 else 0.0,
        collected_per_account=collected / n if n else 0.0,
        contact_cost_per_account=float(rows["contact_cost"].sum()) / n if n else 0.0,
        complaints=int(rows["complaints"].sum()), opt_outs=int(rows["opt_outs"].sum()))


def _compare(champ: ArmResult, champ_rows: pl.DataFrame, arm: ArmResult, rows: pl.DataFrame) -> Comparison:
    z, p = two_proportion_z(champ.payers, champ.accounts, arm.payers, arm.accounts)
    _, cure_p = two_proportion_z(champ.cured, champ.accounts, arm.cured, arm.accounts)
    diff, lo, hi, amount_p = bootstrap_diff(champ_rows["collected"].cast(pl.Float64).to_numpy(),
                                            rows["collected"].cast(pl.Float64).to_numpy())
    return Comparison(challenger=arm.arm, pay_rate_diff=arm.pay_rate - champ.pay_rate, pay_rate_z=z,
                      pay_rate_p=p, cure_rate_diff=arm.cure_rate - champ.cure_rate, cure_rate_p=cure_p,
                      collected_diff=diff, collected_diff_ci=(lo, hi), collected_p=amount_p)


def _recommend(arms: list[ArmResult], comps: list[Comparison], small: bool, champion: str) -> str:
    if small:
        return "Keep running: not every arm has reached the minimum sample, so no difference can be trusted yet."
    better = [c for c in comps if c.pay_rate_p < 0.05 and c.pay_rate_diff > 0 and c.collected_diff_ci[0] >= 0]
    worse = [c for c in comps if (c.pay_rate_p < 0.05 and c.pay_rate_diff < 0) or c.collected_diff_ci[1] < 0]
    if better:
        best = max(better, key=lambda c: c.pay_rate_diff)
        return (f"Promote {best.challenger}: it pays {best.pay_rate_diff:+.1%} more often than {champion} "
                f"(p = {best.pay_rate_p:.3f}) and collects no less per account.")
    if worse and len(worse) == len(comps):
        return f"Keep {champion}: every challenger does worse; stop the challengers."
    return f"Keep {champion} for now: no challenger is significantly better yet."


def build_report(experiment_id: str, outcomes: pl.DataFrame, *, min_sample: int = MIN_SAMPLE) -> ExperimentReport:
    names = sorted(outcomes["arm"].unique().to_list())
    champion = "champion" if "champion" in names else (names[0] if names else "")
    rows = {n: outcomes.filter(pl.col("arm") == n) for n in names}
    arms = [_arm(n, rows[n]) for n in names]
    by_name = {a.arm: a for a in arms}
    comps = [_compare(by_name[champion], rows[champion], a, rows[a.arm]) for a in arms if a.arm != champion]
    warnings = [f"arm {a.arm} has {a.accounts} accounts, below the minimum sample of {min_sample}"
                for a in arms if a.accounts < min_sample]
    if len(arms) < 2:
        warnings.append("fewer than two arms: nothing to compare")
    return ExperimentReport(experiment_id, champion, arms, comps, warnings,
                            _recommend(arms, comps, bool(warnings), champion))

"""`explain` and `dry-run`: the cycle's decisions for one debt, or for a candidate strategy, writing nothing.

explain: loads the inputs of the debt's customer only (every debt of that customer, since one contact
per customer per day is decided across them), runs the SAME compiled plans and guard as the nightly run
with `explain=True`, and reports the features, segment, arm, chosen step, each other step's status, and
the guard's answer, and the active model's reasons in plain words (or that the rule score was used).
A property test shows it agrees with the batch run.

dry-run: runs the whole portfolio through the live strategies and through the live set with the
candidate in place of (or added to) the version of the same id; returns counts per strategy, segment,
step and channel for both and how many debts would be decided differently. The unit of work is never
committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from cupx.cycle.pipeline import decide
from cupx.services.cycle import UowFactory, live_strategies, load_and_score
from cupx.services.cycle_ports import CycleStore
from cupx.strategy.compiler import compile_strategy
from cupx.strategy.loader import LoadedStrategy

__all__ = ["DryRun", "dry_run", "explain_debt"]

_GROUP = ["strategy_id", "segment", "step_id", "channel", "kind"]


def explain_debt(uow_factory: UowFactory, debt_id: int, as_of: date) -> dict[str, Any]:
    with uow_factory() as uow:
        customer_id = uow[CycleStore].customer_of(debt_id)
        loaded = live_strategies(uow)
        inputs, scores = load_and_score(uow, as_of, [customer_id])
    out = decide(inputs, [compile_strategy(ls.strategy) for ls in loaded], as_of, scores,
                 keep_features=True, explain=True)
    row = out.decisions.filter(pl.col("debt_id") == debt_id)
    if row.height == 0:
        return {"debt_id": debt_id, "as_of": as_of.isoformat(), "in_cycle": False,
                "why": ["the debt's case is closed or worked elsewhere (agency, legal): not in the cycle"]}
    d = row.to_dicts()[0]
    assert out.features is not None
    feats = out.features.filter(pl.col("debt_id") == debt_id).to_dicts()[0]
    reasons = [r for r in (d["reasons"] or "").split(",") if r]
    blocked_by = [r for r in reasons if r.startswith(("REGF_", "TCPA_", "MA_", "WA_", "UK_"))]
    return {
        "debt_id": debt_id, "customer_id": d["customer_id"], "as_of": as_of.isoformat(), "in_cycle": True,
        "strategy": d["strategy_id"], "strategy_version": d["strategy_version"], "segment": d["segment"],
        "experiment": d["experiment_id"], "arm": d["arm"], "decision": d["kind"], "reasons": reasons,
        "step": d["step_id"], "channel": d["channel"], "template": d["template"], "steps": d["why"] or [],
        "skipped_now": [x for x in (d["skips"] or "").split(",") if x], "message_key": d["message_key"],
        "message_debt_ids": d["message_debt_ids"],
        "scheduled_at": d["scheduled_at"], "score": d["score"], "risk_band": d["risk_band"],
        "model_version": d["model_version"],
        "guard": {"guard": out.guard, "asked": d["kind"] in ("contact", "grouped", "blocked"),
                  "allowed": d["kind"] in ("contact", "grouped"), "reason_codes": blocked_by},
        "model": _model_reasons(uow_factory, debt_id, d["customer_id"], as_of),
        "features": feats, "decision_row": d,
    }


def _model_reasons(uow_factory: UowFactory, debt_id: int, customer_id: int, as_of: date) -> dict[str, Any]:
    """The active model's score and reasons in plain words (the account view's `debt_score`), or a note
    that the rule score was used when no model is active (or it could not score the debt)."""
    from cupx.services.account_view import debt_score

    with uow_factory() as uow:
        scored = debt_score(uow, debt_id, customer_id, as_of)
    if scored is None:
        return {"source": "rule", "reasons": [], "note": "no model is active: the rule score was used"}
    return {"source": "model", **scored}


@dataclass(frozen=True)
class DryRun:
    live: pl.DataFrame  # counts per strategy/segment/step/channel/kind
    candidate: pl.DataFrame
    diff: pl.DataFrame  # the same keys with live_n, candidate_n, delta
    changed_debts: int


def dry_run(uow_factory: UowFactory, candidate: LoadedStrategy, as_of: date) -> DryRun:
    with uow_factory() as uow:
        live = live_strategies(uow)
        inputs, scores = load_and_score(uow, as_of)
        uow.rollback()
    others = [ls for ls in live if ls.strategy.id != candidate.strategy.id]
    replaced = len(others) < len(live)
    new_set = [ls if ls.strategy.id != candidate.strategy.id else candidate for ls in live] if replaced \
        else [*live, candidate]
    before = decide(inputs, [compile_strategy(ls.strategy) for ls in live], as_of, scores).decisions
    after = decide(inputs, [compile_strategy(ls.strategy) for ls in new_set], as_of, scores).decisions

    def counts(df: pl.DataFrame) -> pl.DataFrame:
        return df.group_by(_GROUP).len("n").sort(_GROUP, nulls_last=True)

    a, b = counts(before), counts(after)
    diff = a.rename({"n": "live_n"}).join(b.rename({"n": "candidate_n"}), on=_GROUP, how="full", coalesce=True,
                                          nulls_equal=True).with_columns(
        pl.col("live_n", "candidate_n").fill_null(0)).with_columns(
        delta=pl.col("candidate_n") - pl.col("live_n")).filter(pl.col("delta") != 0).sort(_GROUP, nulls_last=True)
    key = ["debt_id", "kind", "step_id", "channel", "segment", "strategy_id"]
    changed = before.select(key).join(after.select(key), on=key, how="anti", nulls_equal=True).height
    return DryRun(a, b, diff, changed)

"""Use cases of the nightly cycle: run a date, explain a debt, dry-run a strategy, manage the registry.

`run_cycle(runtime_uow, as_of, now)`:
  0. before the date's first attempt only, the payments area's nightly jobs (`cupx.services.cycle_nightly`:
     promises kept/broken, plan instalments, expired holds), each in its own transaction;
  1. (tx) the run record of `as_of`: a completed run returns its counts and creates nothing new;
     otherwise the run is started (or its attempt counted) — phase `load`;
  2. load every input with one query per table, score (active model, else the rule score) — phase `decide`;
  3. decide (pure, `cupx.cycle.pipeline`);
  4. write decisions, ladder progress and new experiment assignments, then the outbox rows, the guard's
     audit records and the run's completion (`cupx.services.cycle_write`: one transaction on SQLite, two
     written at once and committed in that order on PostgreSQL) — only rows whose deterministic key is
     not stored yet.
An interruption before 4 commits leaves no decision or outbox row; one between step 4's two commits
leaves the records without their outbox rows and audit records, and the run unfinished; and because the
inputs exclude the run date's own progress, a rerun decides exactly the same and adds only what is
missing. So a rerun completes with no duplicate and no missing action, and the same date twice creates
nothing new.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from cupx.cycle.inputs import CycleInputs
from cupx.cycle.pipeline import CycleOutput, decide
from cupx.domain.errors import ValidationError
from cupx.services.cycle_nightly import run_nightly_jobs
from cupx.services.cycle_ports import CycleStore, RunRecord, StrategyRegistry
from cupx.services.cycle_write import write_run
from cupx.services.uow import UnitOfWork
from cupx.strategy.compiler import CompiledStrategy, compile_strategy
from cupx.strategy.loader import LoadedStrategy

__all__ = ["RunSummary", "live_strategies", "load_and_score", "run_cycle", "summarize"]

UowFactory = Callable[[], UnitOfWork]


@dataclass
class RunSummary:
    as_of: date
    status: str  # completed | already_completed
    counts: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    guard: str = ""
    output: CycleOutput | None = None  # with keep_output (benchmark, tests)


def _no_checkpoint(_: str) -> None:
    return None


def live_strategies(uow: UnitOfWork) -> list[LoadedStrategy]:
    live = uow[StrategyRegistry].live()
    if not live:
        raise ValidationError("no live strategy: register one with `cupx cycle strategy add FILE --live`",
                              field="strategy")
    return live


def load_and_score(uow: UnitOfWork, as_of: date, customer_ids: list[int] | None = None,
                   known_before: datetime | None = None) -> tuple[CycleInputs, pl.LazyFrame | None]:
    """The inputs and, when a model is active (contract C7), its scores; None means the rule score.

    Without `known_before`, a date that has a run uses that run's start (explain sees what the run saw)."""
    store = uow[CycleStore]
    if known_before is None:
        run = store.run(as_of)
        known_before = run.started_at if run is not None else None
    inputs = store.load_inputs(as_of, customer_ids, known_before)
    try:
        from cupx.analytics.scoring import score_portfolio
        from cupx.services.models import ModelRegistry, PortfolioReader

        model = uow[ModelRegistry].active()
        if model is None:
            return inputs, None
        tables = uow[PortfolioReader].tables()
        tables["debts"] = tables["debts"].join(inputs["debts"].select("id"), on="id", how="semi")
        scores = score_portfolio(tables, as_of, model).rename({"score": "risk_score"})
        return inputs, scores.lazy()
    except (ImportError, LookupError):
        return inputs, None


def summarize(decisions: pl.DataFrame) -> dict[str, Any]:
    kinds = decisions.group_by("kind").len().sort("kind")
    return {"debts": decisions.height, **{f"kind.{k}": n for k, n in kinds.iter_rows()}}


def _compile(loaded: Iterable[LoadedStrategy]) -> list[CompiledStrategy]:
    return [compile_strategy(ls.strategy) for ls in loaded]


def run_cycle(uow_factory: UowFactory, as_of: date, now: datetime, *,
              checkpoint: Callable[[str], None] = _no_checkpoint, keep_output: bool = False) -> RunSummary:
    """Run the cycle of `as_of` (idempotent; see the module docstring)."""
    t0 = _time.perf_counter()
    with uow_factory() as uow:
        done = uow[CycleStore].run(as_of)
        if done is not None and done.status == "completed":
            return RunSummary(as_of, "already_completed", done.counts)
        loaded = live_strategies(uow)  # no live strategy: refuse before the nightly jobs change anything
    # the nightly jobs only before the date's first attempt: a rerun must see what that attempt saw
    nightly = run_nightly_jobs(uow_factory, as_of, now) if done is None else {}
    t_nightly = _time.perf_counter()
    with uow_factory() as uow:
        store = uow[CycleStore]
        run = store.start_run(as_of, now, [[ls.strategy.id, ls.strategy.version, ls.sha256] for ls in loaded])
        uow.commit()
    with uow_factory() as uow:
        inputs, scores = load_and_score(uow, as_of, known_before=run.started_at or now)
        uow[CycleStore].set_phase(run.id, "decide")
        uow.commit()
    t1 = _time.perf_counter()
    checkpoint("loaded")
    output = decide(inputs, _compile(loaded), as_of, scores, keep_features=keep_output)
    del inputs, scores  # the write runs three parts at once: the inputs must not add to its peak memory
    t2 = _time.perf_counter()
    checkpoint("decided")
    counts = _write(uow_factory, run, output, now, checkpoint, nightly)
    t3 = _time.perf_counter()
    timings = {"nightly_s": t_nightly - t0, "load_s": t1 - t_nightly, **output.timings, "decide_phase_s": t2 - t1,
               "write_s": t3 - t2, "total_s": t3 - t0}
    return RunSummary(as_of, "completed", counts, timings, output.guard, output if keep_output else None)


def _write(uow_factory: UowFactory, run: RunRecord, output: CycleOutput, now: datetime,
           checkpoint: Callable[[str], None], nightly: dict[str, int]) -> dict[str, Any]:
    def counts(written: dict[str, int]) -> dict[str, Any]:
        return {**summarize(output.decisions), **{f"written.{k}": v for k, v in sorted(written.items())},
                "guard": output.guard, **nightly}

    try:
        return write_run(uow_factory, run, output, now, checkpoint, counts)
    except Exception as exc:
        with uow_factory() as uow:
            uow[CycleStore].set_phase(run.id, "write", error=f"{type(exc).__name__}: {exc}")
            uow.commit()
        raise

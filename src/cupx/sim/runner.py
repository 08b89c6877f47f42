"""`run_days(runtime, days)`: advance a simulated portfolio one day at a time.

Each simulated day D (a date; simulation day k = D - start):
1. the nightly cycle decides today's treatments (cupx cycle, contract C5) — it also resolves promises
   and plan instalments that fell due;
2. the dispatcher sends due outbox rows to the file sinks at two instants of the day (15:00 and 22:00
   UTC: between them every US and UK customer's contact window is open) and records contact events;
3. the customers answer (cupx.sim.behaviour): today's contacted customers pay, promise, ask for a
   plan, dispute, opt out, complain or ignore; promises falling due are kept or broken; instalments
   are paid or missed; a few pay without contact. All of it goes through the real services
   (cupx.sim.responses), at the customer's preferred hour;
4. customers whose case was resolved answer a satisfaction survey (CSAT).

Progress is stored in `sim_runs`: a second `run_days` continues where the first stopped, with the
same personas (rebuilt from the stored seed). Deterministic for a given seed and starting database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import numpy as np
import polars as pl

from cupx.bootstrap import Runtime
from cupx.services.simulation import (
    SimRun,
    SimulationStore,
    advance_run,
    record_desk_calls,
    record_surveys,
    start_or_resume,
)
from cupx.sim import behaviour
from cupx.sim.hooks import Inbound, dispatch_day, nightly_cycle, senders
from cupx.sim.personas import Personas, personas
from cupx.sim.responses import Action, DayResult, apply_actions, part_amounts

__all__ = ["run_days"]

DISPATCH_HOURS = (15, 22)  # 15:00 UTC: UK and eastern/central US windows open; 22:00: all US zones


def _at(on: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(on, dtime(hour, minute), tzinfo=UTC)


def _index(customers: pl.DataFrame) -> pl.DataFrame:
    """customer db id -> persona index (the number in the generator's external id `CUS%08d`)."""
    return customers.filter(pl.col("external_id").str.starts_with("CUS")).select(
        pl.col("id").alias("customer_id"), pl.col("external_id").str.slice(3).cast(pl.Int64).alias("idx"))


def _pay_hour(p: Personas, idx: np.ndarray) -> np.ndarray:
    # preferred local hour, shifted to UTC for mainland US (about +5h) and kept within the day
    return np.clip(p.preferred_hour[idx] + 5, 13, 23)


def _contact_actions(p: Personas, contacts: pl.DataFrame, owed: pl.DataFrame, on: date, k: int,
                     seed: int) -> tuple[list[Action], list[tuple[int, str, str]]]:
    actions: list[Action] = []
    outcomes: list[tuple[int, str, str]] = []
    df = contacts.join(owed, on="customer_id").filter(pl.col("balance") > 0)
    for channel in sorted(set(df["channel"])):
        part = df.filter(pl.col("channel") == channel)
        idx = part["idx"].to_numpy()
        res = behaviour.respond(p, idx, channel, k, seed)
        share = behaviour.part_share(p, idx, k, seed)
        hours = _pay_hour(p, idx)
        cids, curs, bals = part["customer_id"].to_list(), part["currency"].to_list(), part["balance"].to_numpy()
        parts = part_amounts(bals, share)
        for j, outcome in enumerate(res.tolist()):
            cid, at = int(cids[j]), _at(on, int(hours[j]), 30)
            key = f"sim:{on}:{cid}:{outcome}"
            if outcome == "pay_full":
                actions.append(Action("pay", cid, int(bals[j]), curs[j], at, key, channel))
            elif outcome == "pay_part":
                actions.append(Action("pay", cid, int(parts[j]), curs[j], at, key, channel))
            elif outcome == "promise":
                due = on + timedelta(days=3 + int(idx[j]) % 8)
                actions.append(Action("promise", cid, int(parts[j]), curs[j], at, key, channel, due))
            elif outcome in ("plan", "opt_out", "dispute", "complain"):
                actions.append(Action(outcome, cid, int(bals[j]), curs[j], at, key, channel))
            if outcome != "ignore":
                outcomes.append((cid, str(outcome), channel))
    return actions, outcomes


def _desk_calls(rt: Runtime, p: Personas, index: pl.DataFrame, on: date, k: int, seed: int) -> int:
    """Play the agents: call every open call task due today, at the customer's preferred hour.
    Answered (the call responsiveness) calls are right-party conversations; the customer's response
    to them is drawn with the other contacts of the day."""
    with rt.uow() as uow:
        tasks = uow[SimulationStore].open_call_tasks(_at(on, 23, 59)).join(index, on="customer_id")
    if tasks.is_empty():
        return 0
    idx = tasks["idx"].to_numpy()
    u = np.random.default_rng(np.random.SeedSequence([seed, k, 53])).random(idx.size)
    answered = u < p.responsiveness["call"][idx]
    missed = np.where(u < 0.75, "no_answer", "voicemail_message")
    hours = np.clip(p.preferred_hour[idx] + 5, 15, 23)  # after the 15:00 dispatch, in the customer's hours
    calls = tasks.select(pl.col("id").alias("task_id"), "customer_id", "debt_ids").with_columns(
        pl.Series("outcome", np.where(answered, "answered", missed)),
        pl.Series("right_party", answered),
        pl.Series("at", [_at(on, int(h), 10) for h in hours], dtype=pl.Datetime("us", "UTC")))
    with rt.uow() as uow:
        return record_desk_calls(uow, calls)


def _due_actions(p: Personas, frame: pl.DataFrame, on: date, k: int, seed: int, what: str) -> list[Action]:
    """Promises or instalments falling due today: kept (paid) with each customer's keep probability."""
    if frame.is_empty():
        return []
    idx = frame["idx"].to_numpy()
    keep = behaviour.keep_probability(p, idx, k)
    u = np.random.default_rng(np.random.SeedSequence([seed, k, 41 if what == "promise" else 43])).random(idx.size)
    hours = _pay_hour(p, idx)
    out = []
    for j, row in enumerate(frame.iter_rows(named=True)):
        if u[j] < keep[j] and row["amount_minor"] > 0:
            out.append(Action("pay", row["customer_id"], row["amount_minor"], row["currency"],
                              _at(on, int(hours[j])), f"sim:{on}:{row['customer_id']}:{what}:{row['ref']}"))
    return out


@dataclass(frozen=True)
class SimContext:
    run: SimRun
    personas: Personas
    index: pl.DataFrame  # customer_id -> idx
    external_ids: dict[int, str]
    due: pl.DataFrame  # customer_id, idx, due_on: instalments of debts open at the start
    senders: dict[str, Any]  # channel senders, kept for the whole run


def _on_time(ctx: SimContext, on: date, k: int) -> pl.DataFrame:
    """Customers with an instalment due today who pay it on time, without any contact."""
    today = ctx.due.filter(pl.col("due_on") == on).unique("customer_id").sort("customer_id")
    pays = behaviour.pays_on_due(ctx.personas, today["idx"].to_numpy(), k, ctx.run.seed)
    return today.filter(pl.Series(pays, dtype=pl.Boolean)).select("customer_id", "idx")


def _simulate_day(rt: Runtime, ctx: SimContext, k: int) -> DayResult:
    run, p, index, external_ids = ctx.run, ctx.personas, ctx.index, ctx.external_ids
    on = run.start_on + timedelta(days=k)
    t0 = time.perf_counter()
    nightly_cycle(rt, on, _at(on, 6))
    t1 = time.perf_counter()
    for hour in DISPATCH_HOURS:
        dispatch_day(rt, _at(on, hour), run.seed, ctx.senders)
    result_calls = _desk_calls(rt, p, index, on, k, run.seed)
    t2 = time.perf_counter()
    with rt.uow() as uow:
        store = uow[SimulationStore]
        contacts = store.outbound_contacts(_at(on, 0), _at(on, 0) + timedelta(days=1)).join(index, on="customer_id")
        promises = store.due_promises(on).rename({"id": "ref"}).join(index, on="customer_id")
        instalments = store.due_instalments(on).rename({"plan_id": "ref"}).join(index, on="customer_id")
        spont = pl.concat([index.filter(pl.col("idx").is_in(behaviour.spontaneous(p, k, run.seed).tolist())),
                           _on_time(ctx, on, k)]).unique("customer_id").sort("customer_id")
        ids = sorted(set(contacts["customer_id"]) | set(spont["customer_id"]))
        owed = store.balances(ids, on) if ids else pl.DataFrame(
            schema={"customer_id": pl.Int64, "currency": pl.Utf8, "balance": pl.Int64})
    actions, outcomes = _contact_actions(p, contacts, owed, on, k, run.seed)
    actions += _due_actions(p, promises, on, k, run.seed, "promise")
    actions += _due_actions(p, instalments, on, k, run.seed, "instalment")
    for row in spont.join(owed, on="customer_id").filter(pl.col("balance") > 0).iter_rows(named=True):
        actions.append(Action("pay", row["customer_id"], row["balance"], row["currency"], _at(on, 17),
                              f"sim:{on}:{row['customer_id']}:spontaneous", "none"))
    actions.sort(key=lambda a: (a.at, a.customer_id, a.kind))
    opt_outs = sorted({a.customer_id for a in actions if a.kind == "opt_out" and a.channel == "sms"})
    with rt.uow() as uow:
        numbers = uow[SimulationStore].mobile_numbers(opt_outs) if opt_outs else {}
    inbound = Inbound(rt, numbers)
    result = apply_actions(rt, actions, inbound.handlers())
    result.done["inbound_events"] += inbound.flush(external_ids, on)
    result.resolved.extend(outcomes)
    result.done["calls"] += result_calls
    _surveys(rt, p, index, result, on, k, run.seed)
    t3 = time.perf_counter()
    result.seconds.update({"cycle": t1 - t0, "dispatch": t2 - t1, "responses": t3 - t2})
    return result


def _surveys(rt: Runtime, p: Personas, index: pl.DataFrame, result: DayResult, on: date, k: int, seed: int) -> None:
    wanted = [(c, o, ch) for c, o, ch in result.resolved if o in ("pay_full", "plan", "pay_part", "dispute")]
    if not wanted:
        return
    df = pl.DataFrame(wanted, schema={"customer_id": pl.Int64, "resolution": pl.Utf8, "channel": pl.Utf8},
                      orient="row").join(index, on="customer_id")
    answers = np.random.default_rng(np.random.SeedSequence([seed, k, 47])).random(df.height) < 0.3
    df = df.filter(pl.Series(answers))
    scores = np.concatenate([behaviour.satisfaction(p, g["idx"].to_numpy(), str(r), k, seed)
                             for (r,), g in df.group_by(["resolution"], maintain_order=True)]) if df.height else []
    ordered = pl.concat([g for _, g in df.group_by(["resolution"], maintain_order=True)]) if df.height else df
    rows = ordered.select("customer_id", pl.col("resolution").str.replace("pay_full", "paid").str.replace(
        "pay_part", "part_paid"), pl.when(pl.col("channel") == "none").then(pl.lit("portal"))
        .otherwise(pl.col("channel")).alias("channel")).with_columns(
        pl.Series("score", scores, dtype=pl.Int16), pl.lit(_at(on, 23, 30)).alias("answered_at"))
    with rt.uow() as uow:
        record_surveys(uow, rows)


def run_days(rt: Runtime, days: int, *, seed: int = 7, start: date | None = None,
             on_day: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Simulate `days` more days; returns totals of what the customers did and what was refused."""
    with rt.uow() as uow:
        customers = uow[SimulationStore].customers()
        index = _index(customers)
        external_ids = dict(zip(customers["id"].to_list(), customers["external_id"].to_list(), strict=True))
        due = uow[SimulationStore].due_dates().join(index, on="customer_id")
        first_day = start or _default_start(uow)
        run = start_or_resume(uow, seed, index.height, first_day, datetime.now(UTC))
    p = personas(run.seed, max(run.accounts, int(index["idx"].max() or 0) + 1))
    ctx = SimContext(run, p, index, external_ids, due, senders(rt))
    total = DayResult()
    t0 = time.perf_counter()
    try:
        for step in range(days):
            k = run.days_done + step
            total.merge(_simulate_day(rt, ctx, k))
            with rt.uow() as uow:
                advance_run(uow, run, k + 1, datetime.now(UTC))
            if on_day:
                on_day(step + 1, {"day": k})
    finally:
        for sender in ctx.senders.values():
            sender.close()
    return {"days": days, "start_on": run.start_on.isoformat(), "days_done": run.days_done + days,
            "actions": dict(total.done), "refused": dict(total.refused),
            "outcomes": dict(pl.Series([o for _, o, _ in total.resolved], dtype=pl.Utf8).value_counts().iter_rows()),
            "seconds": round(time.perf_counter() - t0, 2),
            "stage_seconds": {k: round(v, 2) for k, v in total.seconds.items()}}


def _default_start(uow: Any) -> date:
    from cupx.sim.generator import DEFAULT_AS_OF

    return DEFAULT_AS_OF

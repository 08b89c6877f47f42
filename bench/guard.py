"""Benchmark of the compliance guard: the batch form (contract C3) over N accounts with 3N history
events, and single evaluations (contract C2) on a sample of those accounts.

Usage: python bench/guard.py --size N [--single 2000]
Last stdout line: {"accounts","events","batch_seconds","accounts_per_s","single_p50_ms","single_p99_ms"}.
Batch time excludes building the input frames (I/O excluded). Events follow the history mix `MIX`
(mostly calls, texts, emails and letters; cease, dispute and attorney notices are rare). Wall time on
a shared machine includes waiting for a core; the CPU time printed above the JSON line does not.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from cupx.compliance import evaluate
from cupx.compliance.batch import evaluate_batch

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
         "America/Chicago,America/New_York", "America/Phoenix"]
# A collections history mix: mostly contact attempts; notices (cease, dispute, attorney, restrictions)
# are rare, as in a real portfolio. Weights in percent.
MIX = {"call_placed": 45.0, "text_sent": 15.0, "email_sent": 12.0, "letter_sent": 9.0,
       "telephone_conversation": 8.0, "validation_notice": 3.0, "tcpa_consent": 4.0, "medium_restriction": 1.0,
       "electronic_opt_out": 1.0, "cease_notice": 0.7, "dispute": 0.7, "verification_sent": 0.3,
       "attorney_known": 0.3}
TYPES = list(MIX)
WEIGHTS = np.array(list(MIX.values())) / sum(MIX.values())
OUTCOMES = ["no_answer", "answered", "busy", "voicemail_no_message"]
AS_OF = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)


def frames(n: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    customers = pl.DataFrame({"customer_id": ids, "tz_candidates": np.array(ZONES)[rng.integers(0, len(ZONES), n)]})
    m = 3 * n
    minutes = rng.integers(0, 14 * 24 * 60, m)
    events = pl.DataFrame({
        "customer_id": rng.integers(1, n + 1, m),
        "type": np.array(TYPES)[rng.choice(len(TYPES), m, p=WEIGHTS)],
        "minutes": minutes,
        "debt_id": rng.integers(1, 3, m),
        "outcome": np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), m)],
        "medium": np.array(["mail", "email", "telephone_call", "text"])[rng.integers(0, 4, m)],
    }).with_columns(
        (pl.lit(AS_OF - timedelta(days=14)) + pl.duration(minutes=pl.col("minutes"))).dt.convert_time_zone("UTC")
        .alias("at"),
        pl.lit(None, pl.Utf8).alias("target"),
    ).drop("minutes")
    actions = pl.DataFrame({
        "action_id": ids, "customer_id": ids,
        "debt_id": rng.integers(1, 3, n),
        "channel": np.array(["call", "text", "email", "letter"])[rng.integers(0, 4, n)],
        "dialing": np.array(["manual", "atds"])[rng.integers(0, 2, n)],
    }).with_columns(pl.lit(AS_OF).dt.convert_time_zone("UTC").alias("at"),
                    pl.lit("+13125550199").alias("target"))
    return customers, events, actions


def single_inputs(customers: pl.DataFrame, events: pl.DataFrame, actions: pl.DataFrame, k: int) -> list[Any]:
    sample = actions.head(k)
    evs = events.join(sample.select("customer_id"), on="customer_id", how="semi")
    by_customer: dict[int, list[dict[str, Any]]] = {}
    for row in evs.iter_rows(named=True):
        e: dict[str, Any] = {"type": row["type"], "at": row["at"].isoformat(), "person": "C",
                             "debt_ids": [str(row["debt_id"])]}
        if row["type"] == "call_placed":
            e |= {"number": "+13125550199", "outcome": row["outcome"]}
        if row["type"] in ("cease_notice", "medium_restriction", "dispute"):
            e["medium"] = row["medium"]
        if row["type"] == "electronic_opt_out":
            e["number"] = "+13125550199"
        by_customer.setdefault(row["customer_id"], []).append(e)
    tz = dict(zip(customers["customer_id"], customers["tz_candidates"], strict=True))
    out = []
    for row in sample.iter_rows(named=True):
        zones = tz[row["customer_id"]].split(",")
        ctx = {"collector_role": "fdcpa_debt_collector",
               "consumer": {"id": "C", "location_evidence": [{"kind": "stated_location", "value": z, "tz": z}
                                                              for z in zones]},
               "phones": [{"number": "+13125550199", "type": "mobile"}], "debts": [{"id": "1"}, {"id": "2"}]}
        kind = {"letter": "letter"}.get(row["channel"], row["channel"])
        action: dict[str, Any] = {"type": kind, "at": row["at"].isoformat(), "person": "C",
                                  "debt_ids": [str(row["debt_id"])], "dialing": row["dialing"],
                                  "number": "+13125550199", "address": "c@example.com",
                                  "content": {"disclosure": "subsequent", "opt_out_instruction": True}}
        out.append((ctx, by_customer.get(row["customer_id"], []), action))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2000)
    args = parser.parse_args()
    customers, events, actions = frames(args.size)
    evaluate_batch(customers.head(1000), events.filter(pl.col("customer_id") <= 1000), actions.head(1000))  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    result = evaluate_batch(customers, events, actions)
    batch_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    blocked = int((result["decision"] == "blocked").sum())
    cases = single_inputs(customers, events, actions, min(args.single, args.size))
    for ctx, evs, act in cases[:50]:
        evaluate(ctx, evs, act)
    timings, cpu_timings = [], []
    for ctx, evs, act in cases:
        t0, c0 = time.perf_counter(), time.thread_time()
        evaluate(ctx, evs, act)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu_timings.append((time.thread_time() - c0) * 1000)
    print(f"batch: {args.size} actions, {blocked} blocked, wall {batch_seconds:.3f}s, cpu {cpu_seconds:.3f}s "
          f"(all threads; the machine is shared, wall time includes waiting for a core)")
    print(f"single cpu ms: p50 {np.percentile(cpu_timings, 50):.4f} p99 {np.percentile(cpu_timings, 99):.4f}")
    print(json.dumps({
        "accounts": args.size, "events": events.height, "batch_seconds": round(batch_seconds, 4),
        "accounts_per_s": round(args.size / batch_seconds),
        "single_p50_ms": round(float(np.percentile(timings, 50)), 4),
        "single_p99_ms": round(float(np.percentile(timings, 99)), 4)}))


if __name__ == "__main__":
    main()

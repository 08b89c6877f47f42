"""Features and scores for N synthetic accounts (deterministic for a seed), through the real pipeline.

Generates in memory, column-wise, the tables the scorer reads (debts, 12 months of statements plus the
month under way, ledger charges and payments, contact events, promises) with a hidden propensity that
drives lateness and payments. Then: `build_features` as of the cut-off (timed: features_s) and
`score_features` without reasons (timed: score_s; reasons use `pred_contrib`, about 1 ms per account,
and are computed on demand for the accounts a person looks at; `reasons_s_per_1k` times them on 1,000
accounts). With `--train`, first trains the model on the same accounts through
`cupx.analytics.training.train` (time-based split degenerates to an account split here: one snapshot).

Usage: python bench/score.py --size N [--seed S] [--train]
Last stdout line: JSON {"accounts", "features_s", "score_s"[, "train_s"], "features_cpu_s", "score_cpu_s",
"reasons_s_per_1k", "trees", "mean_score"}.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from cupx.analytics.features import build_features
from cupx.analytics.labels import build_labels
from cupx.analytics.scoring import score_features
from cupx.analytics.training import train

AS_OF = date(2026, 9, 1)
MONTHS = 12


def _periods() -> list[date]:
    out = []
    for back in range(MONTHS, -1, -1):  # 12 closed months and the month under way (the label month)
        idx = AS_OF.year * 12 + AS_OF.month - 1 - back
        out.append(date(idx // 12, idx % 12 + 1, 1))
    return out


def generate(n: int, seed: int) -> dict[str, pl.LazyFrame]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    skill = rng.normal(size=n)  # hidden propensity to pay
    limit = rng.choice([50_000, 100_000, 200_000, 500_000], n) * 100
    debts = pl.DataFrame({"id": ids, "customer_id": ids, "original_minor": (limit * rng.uniform(0.1, 1, n))
                          .astype(np.int64), "opened_on": pl.Series([AS_OF - timedelta(days=900)] * n),
                          "status": ["active"] * n})
    periods = _periods()
    m = len(periods)
    late = np.clip(np.round(-skill[:, None] + rng.normal(0, 0.9, (n, m)) - 0.3), -2, 8).astype(np.int64)
    billed = (limit[:, None] * np.clip(rng.normal(0.4, 0.2, (n, m)), 0, 1.2)).astype(np.int64)
    paid = (billed * np.clip(0.5 + 0.3 * skill[:, None] + rng.normal(0, 0.3, (n, m)), 0, 1.5)).astype(np.int64)
    statements = pl.DataFrame({
        "debt_id": np.repeat(ids, m), "period": pl.Series(periods * n).cast(pl.Date),
        "billed_minor": billed.ravel(), "paid_minor": paid.ravel(), "months_late": late.ravel(),
        "credit_limit_minor": np.repeat(limit, m), "currency": "USD"})
    k = 3 * n  # ledger: a charge and two payments per account, in the last 180 days
    ledger = pl.DataFrame({
        "id": np.arange(1, k + 1), "debt_id": np.repeat(ids, 3), "kind": np.tile(["charge", "payment", "payment"], n),
        "amount_minor": np.stack([debts["original_minor"].to_numpy(), paid[:, -2], paid[:, -3]], 1).ravel(),
        "effective_date": pl.Series([AS_OF - timedelta(days=int(d)) for d in range(180)]).sample(
            k, with_replacement=True, seed=seed)})
    at0 = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC)
    c = 3 * n
    contacts = pl.DataFrame({
        "customer_id": rng.integers(1, n + 1, c), "type": rng.choice(["text_sent", "email_sent", "call_placed",
                                                                      "telephone_conversation"], c),
        "at": pl.Series([at0 - timedelta(hours=int(h)) for h in range(0, 24 * 120, 7)]).sample(
            c, with_replacement=True, seed=seed), "right_party": rng.random(c) < 0.2})
    p = max(1, n // 3)
    promises = pl.DataFrame({
        "debt_id": rng.integers(1, n + 1, p), "amount_minor": rng.integers(1000, 50000, p),
        "promised_on": pl.Series([AS_OF - timedelta(days=int(d)) for d in range(-20, 60)]).sample(
            p, with_replacement=True, seed=seed),
        "status": rng.choice(["kept", "broken", "pending"], p),
        "created_at": pl.Series([at0 - timedelta(days=int(d)) for d in range(5, 90)]).sample(
            p, with_replacement=True, seed=seed)}).with_columns(resolved_at=pl.col("created_at") + timedelta(days=10))
    return {"debts": debts.lazy(), "statements": statements.lazy(), "ledger_entries": ledger.lazy(),
            "contact_events": contacts.lazy(), "promises": promises.lazy()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--train", action="store_true")
    args = ap.parse_args()
    tables = generate(args.size, args.seed)
    out: dict[str, float | int] = {"accounts": args.size}
    train_n = min(args.size, 50_000)
    t0 = time.perf_counter()
    if args.train:
        train_n = args.size
    feats = build_features(tables, AS_OF)
    frame = feats.head(train_n).join(build_labels(tables, AS_OF), on="debt_id").with_columns(
        pl.lit(AS_OF).alias("as_of"))
    t1 = time.perf_counter()
    model = train(frame, "bench").model
    t2 = time.perf_counter()
    if args.train:
        out["train_s"] = round(t2 - t1 + (t1 - t0), 2)
    t3, c3 = time.perf_counter(), time.process_time()
    feats = build_features(tables, AS_OF)
    t4, c4 = time.perf_counter(), time.process_time()
    scored = score_features(feats, model, with_reasons=False)
    t5, c5 = time.perf_counter(), time.process_time()
    score_features(feats.head(1000), model)
    t6 = time.perf_counter()
    # CPU seconds (all threads) next to wall seconds show how much of the wall time is waiting for a
    # shared machine's cores.
    out.update({"features_s": round(t4 - t3, 2), "score_s": round(t5 - t4, 2),
                "features_cpu_s": round(c4 - c3, 2), "score_cpu_s": round(c5 - c4, 2),
                "reasons_s_per_1k": round(t6 - t5, 2), "trees": model.booster.num_trees(),
                "mean_score": round(float(scored["score"].mean() or 0), 4)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Benchmark of the nightly cycle: `cupx cycle run` on a fresh database of N accounts, checked against the
plain per-account Python reference of the same strategies.

    python bench/cycle.py --size 100000 [--database sqlite|postgres]

Generates N debts (~0.8N customers), 3N contact events and ledger history deterministically, written
with the bulk helper (not the CSV importer), registers the three example strategies, runs the whole
cycle (load -> features -> score -> segment -> strategy -> guard -> write), then, in the same process,
decides every account again with the per-account reference (tests/reference/strategy_reference.py) from
the same features, and checks that both make identical decisions (before the guard, which the reference
does not model). Before the timings the seeded data is flushed to disk and, on PostgreSQL, analyzed, as a
production database's would be. The last stdout line is JSON:
  accounts, database, load_s (the SQL reads), decide_s (the compiled strategy plans + one-contact-per-
  customer arbitration: the step the reference also does), write_s, total_s (the whole run), peak_rss_mb (the
  process's peak through the cycle run: the portfolio is seeded by a child process, the reference runs after;
  where a large SQLite portfolio is read by a child process, at least this process's size once the inputs are
  loaded plus the readers' peak, reported as reader_peak_rss_mb),
  reference_decide_s, actions (outbox rows written), plus features_s, guard_s, speedup and identical.
With --nights N > 1 the next N - 1 dates are then run on the same database, each seeing the nights before it
(their decisions, ladder progress, assignments and pending outbox rows; nothing is dispatched in between),
and reported as later_nights (total_s, load_s, features_s, decide_s, guard_s, write_s, actions each).
PostgreSQL: a database cupx_bench_<random> is created on CUPX_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import polars as pl  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from cupx.adapters.db import normalize_url  # noqa: E402
from cupx.bootstrap import bootstrap  # noqa: E402
from cupx.config import Settings  # noqa: E402
from cupx.services.cycle import run_cycle  # noqa: E402
from cupx.services.cycle_strategies import add_strategy  # noqa: E402
from cupx.strategy.loader import parse_strategy  # noqa: E402
from reference.cycle_portfolio import seed_portfolio  # noqa: E402
from reference.strategy_reference import reference_arbitrate, reference_cycle  # noqa: E402

AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
NAMES = ("b2b_invoices", "consumer_card", "telecom_utility")  # the registry's (live) routing order
COMPARED = ["debt_id", "plan_kind", "strategy_id", "segment", "arm", "step_id", "reasons", "skips",
            "message_debt_ids"]


def _database(kind: str, workdir: str) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db", None
    admin_url = normalize_url(os.environ.get("CUPX_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    name = f"cupx_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def _drop(handle: Any) -> None:
    if handle is not None:
        admin, name = handle
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reference(features: pl.DataFrame) -> tuple[list[dict[str, Any]], float]:
    strategies = [parse_strategy((ROOT / "strategies" / f"{n}.yaml").read_text()).strategy for n in NAMES]
    decided: list[dict[str, Any]] = []
    spent = 0.0
    for chunk in features.iter_slices(50_000):
        rows = chunk.to_dicts()  # conversion not timed: the reference gets its rows for free
        t = time.perf_counter()
        out = reference_cycle(strategies, rows, [], [], AS_OF)
        spent += time.perf_counter() - t
        decided += [{k: d[k] for k in ("debt_id", "customer_id", "balance", "kind", "strategy_id", "segment",
                                       "arm", "step_id", "reasons", "skips", "rank")} for d in out]
    t = time.perf_counter()
    final = reference_arbitrate(decided)
    spent += time.perf_counter() - t
    return final, spent


def _identical(plan: pl.DataFrame, ref: list[dict[str, Any]]) -> tuple[bool, int]:
    want = pl.DataFrame([{"plan_kind": r["kind"], **{k: r.get(k) for k in COMPARED if k != "plan_kind"}}
                         for r in ref], schema={**plan.select(COMPARED).schema}).sort("debt_id")
    got = plan.select(COMPARED).sort("debt_id")
    diff = got.join(want, on=COMPARED, how="anti", nulls_equal=True).height
    return got.height == want.height and diff == 0, diff


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--nights", type=int, default=1,
                    help="run this many consecutive dates; the later nights are timed after the checks")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url, handle = _database(args.database, workdir)
        try:
            result = _bench(url, args)
        finally:
            _drop(handle)
    print(json.dumps(result))


class _ReaderPeak(logging.Handler):
    """The peak RSS of the child process that read the inputs (cupx.adapters.sqlite_reads logs it)."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_mb = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        self.peak_mb = max(self.peak_mb, float(getattr(record, "reader_peak_rss_mb", 0.0)))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _seed(url: str, size: int, seed: int) -> None:
    rt = bootstrap(Settings(database_url=url, environment="test"))
    rt.migrate()
    with rt.uow() as uow:
        seed_portfolio(uow.connection, size, AS_OF, seed=seed)
        uow.commit()
    rt.dispose()


def _settle(engine: Any) -> None:
    """Let the seeding's writes reach the disk before the timings: a production database was not written a
    moment before the night, but here the generator's gigabyte is still being written back by the kernel
    (and by PostgreSQL's checkpointer) when the cycle starts, and the cycle's own write would queue behind
    it (seen on SQLite: first-night `write_s` 26 s, the second night's 17 s)."""
    flush = "CHECKPOINT" if engine.dialect.name == "postgresql" else "PRAGMA wal_checkpoint(TRUNCATE)"
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql(flush)
            conn.commit()
        except DBAPIError as exc:  # CHECKPOINT needs a superuser or pg_checkpoint: then only the sync below
            print(f"no checkpoint before the timings: {exc.orig}", file=sys.stderr)
            conn.rollback()
    os.sync()


def _bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    # The portfolio is generated in a child process: in production the data is already in the database,
    # so the generator's memory must not count in the cycle's peak.
    t = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_seed, args=(url, args.size, args.seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"seeding failed with exit code {child.exitcode}")
    print(f"seeded {args.size} accounts in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    rt = bootstrap(Settings(database_url=url, environment="test"))
    _settle(rt.engine)
    if rt.engine.dialect.name == "postgresql":
        # A production database has planner statistics (autovacuum analyzes tables loaded before the night);
        # a just-seeded one has none until autovacuum happens to run, and without them PostgreSQL plans the
        # input queries as nested loops (seen: 2-3x slower reads). Analyze once, outside the timings, so
        # every run measures the same, realistic plans.
        with rt.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    for n in NAMES:
        path = ROOT / "strategies" / f"{n}.yaml"
        add_strategy(rt.uow, path.read_text(), str(path), NOW, live=True)
    reader = _ReaderPeak()
    logging.getLogger("cupx.adapters.sqlite_reads").addHandler(reader)
    logging.getLogger("cupx.adapters.sqlite_reads").setLevel(logging.INFO)
    loaded_mb: list[float] = []

    def checkpoint(point: str) -> None:
        if point == "loaded":
            loaded_mb.append(_rss_mb())

    summary = run_cycle(rt.uow, AS_OF, NOW, keep_output=True, checkpoint=checkpoint)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the cycle's peak, before the reference
    reader_mb = reader.peak_mb  # this night's reader (the later nights' readers log theirs too)
    if reader_mb:  # the child reader ran while this process held less than it does once loaded
        peak_mb = max(peak_mb, loaded_mb[0] + reader_mb)
    assert summary.output is not None and summary.output.features is not None
    tm = summary.timings
    ref, ref_s = _reference(summary.output.features)
    same, diff = _identical(summary.output.decisions, ref)
    summary.output = None
    later = [run_cycle(rt.uow, AS_OF + timedelta(days=i), NOW + timedelta(days=i)) for i in range(1, args.nights)]
    rt.dispose()
    return {"accounts": args.size, "database": args.database, "load_s": round(tm["load_s"], 3),
            "decide_s": round(tm["decide_s"], 3), "write_s": round(tm["write_s"], 3),
            "total_s": round(tm["total_s"], 3),
            "peak_rss_mb": round(peak_mb, 1), "reader_peak_rss_mb": round(reader_mb, 1),
            "reference_decide_s": round(ref_s, 3), "actions": summary.counts.get("written.outbox", 0),
            "features_s": round(tm["features_s"], 3), "guard_s": round(tm["guard_s"], 3),
            "speedup": round(ref_s / max(tm["decide_s"], 1e-9), 1), "identical": same, "differing_rows": diff,
            "guard": summary.guard,
            **({"later_nights": [{**{k: round(n.timings[k], 3) for k in ("total_s", "load_s", "features_s", "decide_s",
                                                                        "guard_s", "write_s")},
                                  "actions": n.counts.get("written.outbox", 0)} for n in later]} if later else {})}


if __name__ == "__main__":
    main()

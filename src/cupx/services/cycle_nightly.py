"""The payments area's nightly jobs, run at the start of `cycle run` (issue 6: kept or broken is decided
in the nightly cycle): promises kept or broken (`resolve_promises`), plan instalments missed, appended
or broken (`process_plan_instalments`), hardship holds past their last day ended (`end_expired_holds`).

Each job opens and commits its own unit of work(s), as each documents. Each is idempotent by state: it
acts only on pending promises, unmarked overdue instalments and active holds, so running it again for
the same date changes nothing. `run_cycle` calls them only while the date has no run record, so a rerun
of an interrupted run sees the same promise, plan and case states as its first attempt (its decisions
stay the same); an interruption inside the jobs leaves no run record and the rerun simply repeats them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cupx.services.hardship import end_expired_holds
from cupx.services.plans import process_plan_instalments
from cupx.services.promises import resolve_promises
from cupx.services.uow import UnitOfWork

__all__ = ["run_nightly_jobs"]


def run_nightly_jobs(uow_factory: Any, as_of: date, now: datetime) -> dict[str, int]:
    """Promises, then plan instalments, then holds, each in its own unit of work; flat counts."""
    jobs = (("promises", resolve_promises), ("instalments", process_plan_instalments),
            ("holds", end_expired_holds))
    counts: dict[str, int] = {}
    for name, job in jobs:
        uow: UnitOfWork
        with uow_factory() as uow:
            out = job(uow, as_of, now=now)
        counts |= {f"nightly.{name}.{k}": int(v) for k, v in out.items()}
    return counts

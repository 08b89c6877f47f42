"""`cycle run` starts with the payments area's nightly jobs (issue 6): a pending promise past its date plus
grace with no payment is broken by the run; one still within grace stays pending; the jobs run once
per date (a rerun, completed or interrupted, does not run them again). Both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from payments_factories import make_customer, make_debt
from sqlalchemy import select

from cupx.adapters.tables.payments import promises
from cupx.bootstrap import Runtime
from cupx.services.cycle import run_cycle
from cupx.services.cycle_strategies import add_strategy
from cupx.services.promises import MakePromise, make_promise

AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
MADE = datetime(2026, 11, 10, 15, tzinfo=UTC)
STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "consumer_card.yaml"


def _promise(runtime: Runtime, promised_on: date) -> int:
    cid = make_customer(runtime, now=MADE)
    did = make_debt(runtime, cid, 40_000, now=MADE)
    with runtime.uow() as uow:
        return int(make_promise(uow, MakePromise(cid, 10_000, "USD", promised_on, debt_id=did, now=MADE))["id"])


def _statuses(runtime: Runtime) -> dict[int, str]:
    with runtime.engine.connect() as conn:
        return {r.id: r.status for r in conn.execute(select(promises.c.id, promises.c.status))}


def _setup(runtime: Runtime) -> tuple[int, int]:
    add_strategy(runtime.uow, STRATEGY.read_text(), str(STRATEGY), NOW, live=True)
    late = _promise(runtime, AS_OF - timedelta(days=10))  # date + 3 days' grace long passed, nothing paid
    fresh = _promise(runtime, AS_OF - timedelta(days=1))  # still within grace
    return late, fresh


def test_run_breaks_a_promise_past_date_and_grace_once(runtime: Runtime) -> None:
    late, fresh = _setup(runtime)
    summary = run_cycle(runtime.uow, AS_OF, NOW)
    assert _statuses(runtime) == {late: "broken", fresh: "pending"}
    assert summary.counts["nightly.promises.broken"] == 1 and summary.counts["nightly.promises.pending"] == 2
    assert "nightly_s" in summary.timings
    again = run_cycle(runtime.uow, AS_OF, NOW + timedelta(hours=1))
    assert again.status == "already_completed" and _statuses(runtime) == {late: "broken", fresh: "pending"}


def test_interrupted_run_does_not_repeat_the_nightly_jobs(runtime: Runtime) -> None:
    late, fresh = _setup(runtime)

    def boom(point: str) -> None:
        if point == "decided":
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        run_cycle(runtime.uow, AS_OF, NOW, checkpoint=boom)
    assert _statuses(runtime) == {late: "broken", fresh: "pending"}  # the jobs committed on their own
    rerun = run_cycle(runtime.uow, AS_OF, NOW + timedelta(minutes=5))
    assert rerun.status == "completed" and not any(k.startswith("nightly.") for k in rerun.counts)
    assert _statuses(runtime) == {late: "broken", fresh: "pending"}

"""A 30-day simulation of 2,000 accounts through the real cycle, dispatcher and services, and the
internal consistency of its KPIs: collected equals the payments posted; every contact the outbox holds
was decided by the cycle's guard-checked decision and re-checked at dispatch."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cupx.adapters.tables.core import contact_events, ledger_entries, outbox_messages
from cupx.adapters.tables.cycle import cycle_decisions
from cupx.adapters.tables.payments import payments
from cupx.adapters.tables.sim import surveys
from cupx.bootstrap import Runtime
from cupx.services.kpis import KpiFilters, kpis
from cupx.sim.scenario import simulate

pytestmark = pytest.mark.slow
START = date(2026, 9, 1)
DAYS = 30


@pytest.fixture
def simulated(runtime: Runtime, tmp_path: Path) -> dict[str, object]:
    return simulate(runtime, 2000, DAYS, seed=13, start=START, folder=tmp_path / "portfolio")


def test_thirty_days_of_two_thousand_accounts(simulated: dict[str, object], runtime: Runtime) -> None:
    assert simulated["days_done"] == DAYS
    actions = simulated["actions"]
    assert isinstance(actions, dict) and actions["pay"] > 100 and actions.get("promise", 0) > 0
    first, last = datetime.combine(START, dtime(), tzinfo=UTC), datetime.combine(
        START + timedelta(days=DAYS - 1), dtime.max, tzinfo=UTC)
    with runtime.uow() as uow:
        k = kpis(uow)
        conn = uow.connection
        assert conn is not None
        posted = dict(conn.execute(select(payments.c.currency, func.sum(payments.c.amount_minor)).where(
            payments.c.status == "posted", payments.c.received_at.between(first, last))
            .group_by(payments.c.currency)).all())
        allocated = conn.execute(select(func.sum(ledger_entries.c.amount_minor)).where(
            ledger_entries.c.source == "payment")).scalar()
        credits = conn.execute(select(func.sum(payments.c.credit_minor))).scalar() or 0
        outbox = conn.execute(select(outbox_messages.c.message_key, outbox_messages.c.status,
                                     outbox_messages.c.channel).where(outbox_messages.c.source == "cycle")).all()
        decided = {r[0] for r in conn.execute(select(cycle_decisions.c.message_key).where(
            cycle_decisions.c.decision == "contact")).all()}
        sent_events = conn.execute(select(func.count()).select_from(contact_events).where(
            contact_events.c.type.in_(("text_sent", "email_sent", "letter_sent")),
            contact_events.c.at >= first)).scalar()
        survey_count = conn.execute(select(func.count()).select_from(surveys)).scalar()
    assert k["period"] == {"from": START.isoformat(), "to": (START + timedelta(days=DAYS - 1)).isoformat()}
    # collected amounts equal the sum of payments posted, per currency; and the ledger took all of it
    assert {cur: m["collected_minor"] for cur, m in k["currencies"].items() if m["collected_minor"]} == posted
    assert allocated + credits == sum(posted.values())
    # every contact in the outbox comes from a stored cycle decision (the guard's answer is part of it)
    assert outbox and all(key in decided for key, _, _ in outbox)
    # and was re-checked at dispatch: nothing due is left unclaimed, blocked rows carry their reason
    statuses = {status for _, status, _ in outbox}
    assert statuses <= {"sent", "blocked", "cancelled", "failed", "pending"}
    sent = sum(1 for _, status, channel in outbox if status == "sent" and channel in ("sms", "email", "letter"))
    assert sent_events >= sent > 0
    assert sum(k["compliance_blocks"].values()) >= sum(1 for _, s, _ in outbox if s == "blocked")
    # the rates are rates, the roll matrix counts every account once
    assert 0 < k["cure_rate"] <= 1 and 0 < k["contact"]["contact_rate"] <= 1
    assert sum(sum(row.values()) for row in k["roll_rates"]["matrix"].values()) == k["accounts"]
    assert k["csat"]["responses"] == survey_count > 0 and 1 <= k["csat"]["average"] <= 5
    assert k["promises"]["kept"] + k["promises"]["broken"] > 0
    # a filter narrows, never widens
    seg = k["segments"][0]
    narrowed = _kpis(runtime, KpiFilters(segment=seg))
    assert 0 < narrowed["accounts"] <= k["accounts"]
    assert json.dumps(k)  # serialisable as `cupx report kpis --json` prints it


def _kpis(runtime: Runtime, f: KpiFilters) -> dict[str, object]:
    with runtime.uow() as uow:
        return kpis(uow, f)

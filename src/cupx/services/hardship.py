"""Hardship use cases: breathing space and forbearance holds, their nightly expiry, vulnerability routing.

A hold that pauses contact puts the covered open debts' cases in `hardship_hold` and cancels pending
collection messages; the cycle and the dispatcher see the case status and the `breathing_spaces` row.
`end_expired_holds(uow, as_of)` ends holds whose last day has passed and returns their debts to the
strategy (case back to delinquent). `paused_debt_ids(uow, on, interest=True)` tells whoever accrues
interest or fees which debts are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cupx.domain.case import Case, CaseStatus, StatusChange
from cupx.domain.customer import CustomerFlag
from cupx.domain.errors import ValidationError
from cupx.domain.hardship import BreathingSpace, HoldKind, VulnerabilityRecorded, route_for
from cupx.services.payment_ports import CaseStore, DebtRow, EventStore, HoldStore, OutboxStore, PlanStore
from cupx.services.plans import config_of
from cupx.services.uow import UnitOfWork

__all__ = [
    "StartHold",
    "end_expired_holds",
    "forbearance_options",
    "paused_debt_ids",
    "record_vulnerability",
    "routing",
    "start_hold",
]


@dataclass(frozen=True, slots=True)
class StartHold:
    customer_id: int
    reason: str
    starts_on: date
    days: int | None = None
    kind: HoldKind = HoldKind.BREATHING_SPACE
    debt_id: int | None = None
    segment: str = "default"
    actor: str = "system"
    now: datetime | None = None


def start_hold(uow: UnitOfWork, cmd: StartHold) -> dict[str, Any]:
    """Record a breathing space or forbearance option and pause what it pauses; commit."""
    now = cmd.now or datetime.now(UTC)
    hold = BreathingSpace.start(cmd.customer_id, cmd.starts_on, cmd.reason, config_of(uow).hardship, days=cmd.days,
                                kind=HoldKind(cmd.kind), segment=cmd.segment, debt_id=cmd.debt_id)
    cases = uow[CaseStore]
    debts = cases.lock_debts(customer_id=None if cmd.debt_id else cmd.customer_id, debt_id=cmd.debt_id)
    if debts[0].customer_id != cmd.customer_id:
        raise ValidationError(f"debt {cmd.debt_id} is not the customer's", field="debt_id")
    covered = [d for d in debts if cmd.debt_id in (None, d.id)]
    hold.id = uow[HoldStore].add(hold, cmd.actor, now)
    hold.started(now)
    cancelled = 0
    if hold.kind.pauses_contact:
        _defer_plans(uow, hold, {d.id for d in covered}, now)
    if hold.kind.pauses_contact and hold.is_active(now.date()):
        _hold_cases(cases, covered, now, cmd.actor, f"{hold.kind}: {cmd.reason}"[:200])
        outbox = uow[OutboxStore]
        ids = {d.id for d in covered}
        stale = [m.id for m in outbox.pending(cmd.customer_id)
                 if m.source != "payment" and (not m.debt_ids or set(m.debt_ids) <= ids)]
        if stale:
            outbox.cancel(stale, f"{hold.kind} until {hold.ends_on.isoformat()}")
        cancelled = len(stale)
    uow[EventStore].record(hold.events, actor=cmd.actor, at=now)
    uow.commit()
    return {"id": hold.id, "customer_id": hold.customer_id, "debt_id": hold.debt_id, "kind": str(hold.kind),
            "starts_on": hold.starts_on.isoformat(), "ends_on": hold.ends_on.isoformat(),
            "cancelled_messages": cancelled, "debt_ids": [d.id for d in covered]}


def _defer_plans(uow: UnitOfWork, hold: BreathingSpace, debt_ids: set[int], now: datetime) -> None:
    """Instalments falling in the hold move past it, so the nightly run does not count them missed."""
    plans = uow[PlanStore]
    days = (hold.ends_on - hold.starts_on).days + 1
    for record in plans.open_for_customer(hold.customer_id):
        if record.plan.debt_id is None or record.plan.debt_id in debt_ids:
            if record.plan.defer(hold.starts_on, days):
                plans.save(record.plan, now)


def _hold_cases(cases: CaseStore, debts: list[DebtRow], now: datetime, actor: str, reason: str) -> None:
    moves: list[tuple[DebtRow, StatusChange]] = []
    for d in debts:
        case = Case(d.id, d.status, version=d.version)
        if case.status != CaseStatus.HARDSHIP_HOLD and case.status.is_open \
                and case.can_move_to(CaseStatus.HARDSHIP_HOLD):
            moves.append((d, case.hold_for_hardship(now, reason)))
    cases.save_case_moves(moves, actor)


def end_expired_holds(uow: UnitOfWork, as_of: date, *, now: datetime | None = None) -> dict[str, int]:
    """Nightly: end holds whose last day is before `as_of`; their debts go back to the strategy, or
    back into their arrangement when a plan is still active."""
    now = now or datetime.now(UTC)
    holds, cases = uow[HoldStore], uow[CaseStore]
    events: list[object] = []
    still = holds.paused_debt_ids(as_of)  # debts another active hold keeps paused
    expired = holds.expired(as_of)
    for hold in expired:
        debts = cases.lock_debts(customer_id=None if hold.debt_id else hold.customer_id, debt_id=hold.debt_id)
        holds.end(hold.id, now)
        events.append(hold.end(now))
        planned = _planned_debt_ids(uow, hold.customer_id, debts)
        moves: list[tuple[DebtRow, StatusChange]] = []
        for d in debts:
            if hold.debt_id in (None, d.id) and d.status == CaseStatus.HARDSHIP_HOLD and d.id not in still:
                case = Case(d.id, d.status, version=d.version)
                moves.append((d, case.enter_arrangement(now, "breathing space ended; plan continues")
                              if d.id in planned else case.end_hold(now, "breathing space ended")))
        cases.save_case_moves(moves, "cycle")
    uow[EventStore].record(events, actor="cycle", at=now)
    uow.commit()
    return {"ended": len(expired)}


def _planned_debt_ids(uow: UnitOfWork, customer_id: int, debts: list[DebtRow]) -> set[int]:
    ids: set[int] = set()
    for record in uow[PlanStore].open_for_customer(customer_id):
        ids |= {d.id for d in debts} if record.plan.debt_id is None else {record.plan.debt_id}
    return ids


def paused_debt_ids(uow: UnitOfWork, on: date, *, interest: bool = False) -> set[int]:
    return uow[HoldStore].paused_debt_ids(on, interest=interest)


def forbearance_options(uow: UnitOfWork, segment: str = "default") -> list[str]:
    return sorted(str(k) for k in config_of(uow).hardship.allowed(segment))


def routing(uow: UnitOfWork, customer_id: int) -> dict[str, Any]:
    """Where the customer's account is worked: vulnerability flags go to trained agents."""
    r = route_for(uow[CaseStore].customer_flags(customer_id))
    return {"queue": r.queue, "required_skill": r.required_skill, "soften": r.soften}


def record_vulnerability(uow: UnitOfWork, customer_id: int, flag: str, actor: str,
                         now: datetime | None = None) -> dict[str, Any]:
    """Flag the customer (vulnerable, hardship, ...): the strategy softens and trained agents take the account."""
    now = now or datetime.now(UTC)
    try:
        value = CustomerFlag(flag)
    except ValueError:
        raise ValidationError(f"unknown flag {flag!r}", field="flag") from None
    flags = uow[HoldStore].add_customer_flag(customer_id, str(value))
    r = route_for(flags)
    uow[EventStore].record([VulnerabilityRecorded(customer_id, str(value), r.queue, now)], actor=actor, at=now)
    uow.commit()
    return {"customer_id": customer_id, "flags": sorted(flags), "queue": r.queue, "required_skill": r.required_skill,
            "soften": r.soften}

"""Payment-plan use cases: quote, create, feed with payments, and the nightly missed-instalment run.

- `quote_plans`: the plans a customer can afford (from their latest I&E statement) within the
  segment's policy; `create_plan` refuses one outside policy or unaffordable, with the reason and
  the affordable quotes in the error details.
- `apply_to_plans` / `unapply_from_plans`: called by payment posting and reversal, inside their
  transaction (no commit here).
- `process_plan_instalments(uow, as_of)`: the nightly run; misses, appends, breaks (case back to
  delinquent, into the strategy) and commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cupx.domain.affordability import AffordabilityPolicy, IEStatement, PlanQuote, affordable_plans, check_affordable
from cupx.domain.case import Case, CaseStatus, StatusChange
from cupx.domain.errors import PolicyViolation, ValidationError
from cupx.domain.hardship import HardshipPolicy
from cupx.domain.payments import AllocationOrder
from cupx.domain.plans import (
    DEFAULT_PLAN_POLICIES,
    Frequency,
    InstalmentMissed,
    MissPolicy,
    Plan,
    PlanBroken,
    PlanCompleted,
    PlanKind,
    PlanPolicy,
    PlanProposed,
    PlanReaged,
    build_schedule,
    check_plan,
    policy_for,
)
from cupx.domain.promises import PromisePolicy
from cupx.domain.settlements import SettlementPolicy
from cupx.services.payment_ports import CaseStore, DebtRow, EventStore, PlanRecord, PlanStore
from cupx.services.uow import UnitOfWork

__all__ = [
    "ArrangementConfig",
    "CreatePlan",
    "RecordStatement",
    "apply_to_plans",
    "config_of",
    "create_plan",
    "process_plan_instalments",
    "quote_plans",
    "record_statement",
    "unapply_from_plans",
]


@dataclass(frozen=True, slots=True)
class ArrangementConfig:
    """Every configurable policy of the area; pass one as `uow.context['arrangements']` to override."""

    plan_policies: Mapping[str, PlanPolicy] = field(default_factory=lambda: dict(DEFAULT_PLAN_POLICIES))
    miss: MissPolicy = MissPolicy()
    promise: PromisePolicy = PromisePolicy()
    affordability: AffordabilityPolicy = AffordabilityPolicy()
    settlement: SettlementPolicy = SettlementPolicy()
    hardship: HardshipPolicy = HardshipPolicy()
    allocation_order: AllocationOrder = AllocationOrder.OLDEST_FIRST


def config_of(uow: UnitOfWork) -> ArrangementConfig:
    cfg = uow.context.get("arrangements")
    return cfg if isinstance(cfg, ArrangementConfig) else ArrangementConfig()


@dataclass(frozen=True, slots=True)
class CreatePlan:
    customer_id: int
    total_minor: int | None  # None: the whole balance of the debt(s)
    currency: str
    frequency: Frequency
    instalment_count: int
    first_due_on: date
    debt_id: int | None = None
    segment: str = "default"
    freeze_interest: bool = False
    actor: str = "system"
    role: str = "agent"
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordStatement:
    customer_id: int
    currency: str
    income: Mapping[str, int]
    expenditure: Mapping[str, int]
    taken_on: date
    actor: str = "system"
    now: datetime | None = None


def record_statement(uow: UnitOfWork, cmd: RecordStatement) -> dict[str, Any]:
    stmt = IEStatement.from_lines(cmd.currency, cmd.income, cmd.expenditure)
    uow[CaseStore].lock_debts(customer_id=cmd.customer_id)  # also proves the customer exists
    now = cmd.now or datetime.now(UTC)
    sid = uow[PlanStore].add_statement(cmd.customer_id, cmd.currency, stmt.income_minor, stmt.expenditure_minor,
                                       dict(stmt.lines), cmd.actor, cmd.taken_on, now)
    uow.commit()
    return {"id": sid, "customer_id": cmd.customer_id, "income_minor": stmt.income_minor,
            "expenditure_minor": stmt.expenditure_minor, "disposable_minor": stmt.disposable_minor}


def _statement(uow: UnitOfWork, customer_id: int) -> IEStatement | None:
    row = uow[PlanStore].statement(customer_id=customer_id)
    if row is None:
        return None
    return IEStatement(row["currency"], row["income_minor"], row["expenditure_minor"])


def _owed(uow: UnitOfWork, customer_id: int, debt_id: int | None, currency: str) -> tuple[list[DebtRow], int]:
    cases = uow[CaseStore]
    debts = cases.lock_debts(customer_id=customer_id if debt_id is None else None, debt_id=debt_id)
    if debts[0].customer_id != customer_id:
        raise ValidationError(f"debt {debt_id} is not the customer's", field="debt_id")
    chosen = [d for d in debts if (debt_id is None or d.id == debt_id) and d.status.is_open]
    if any(d.currency != currency for d in chosen):
        raise ValidationError(f"the debts are not in {currency}", field="currency")
    balances = cases.balances([d.id for d in chosen])
    for d in chosen:
        d.balance_minor = balances.get(d.id, 0)
    chosen = [d for d in chosen if d.balance_minor > 0]
    if not chosen:
        raise ValidationError("nothing is owed on these debts", field="debt_id")
    return chosen, sum(d.balance_minor for d in chosen)


def quote_plans(uow: UnitOfWork, customer_id: int, currency: str, first_due_on: date, *, debt_id: int | None = None,
                segment: str = "default", total_minor: int | None = None) -> dict[str, Any]:
    """The affordable plans for the balance (or `total_minor`), read-only."""
    cfg = config_of(uow)
    _debts, owed = _owed(uow, customer_id, debt_id, currency)
    total = owed if total_minor is None else total_minor
    stmt = _statement(uow, customer_id)
    quotes = affordable_plans(total, stmt, policy_for(segment, cfg.plan_policies), first_due_on, cfg.affordability)
    uow.rollback()
    return {"total_minor": total, "balance_minor": owed, "currency": currency,
            "disposable_minor": None if stmt is None else stmt.disposable_minor,
            "quotes": [_quote_dict(q) for q in quotes]}


def _quote_dict(q: PlanQuote) -> dict[str, Any]:
    return {"frequency": str(q.frequency), "instalment_count": q.instalment_count,
            "instalment_minor": q.instalment_minor, "total_minor": q.total_minor,
            "first_due_on": q.first_due_on.isoformat(), "last_due_on": q.last_due_on.isoformat()}


def create_plan(uow: UnitOfWork, cmd: CreatePlan) -> PlanRecord:
    """Check policy and affordability, store the plan active, move the case(s) into arrangement."""
    cfg = config_of(uow)
    now = cmd.now or datetime.now(UTC)
    if cmd.first_due_on < now.date():
        raise ValidationError("the first payment date is in the past", field="first_due_on")
    debts, owed = _owed(uow, cmd.customer_id, cmd.debt_id, cmd.currency)
    total = owed if cmd.total_minor is None else cmd.total_minor
    if not 0 < total <= owed:
        raise ValidationError(f"a plan collects between 1 and the {owed} owed", field="total_minor")
    policy = policy_for(cmd.segment, cfg.plan_policies)
    plans = uow[PlanStore]
    recent = plans.count_since(cmd.customer_id, now - timedelta(days=365))
    check_plan(policy, total, cmd.instalment_count, Frequency(cmd.frequency), recent, cmd.freeze_interest)
    schedule = build_schedule(total, cmd.instalment_count, Frequency(cmd.frequency), cmd.first_due_on)
    stmt = _statement(uow, cmd.customer_id)
    if stmt is not None:
        _require_affordable(stmt, schedule[0].amount_minor, cmd, total, policy, cfg)
    plan = Plan(cmd.customer_id, cmd.currency, Frequency(cmd.frequency), schedule, PlanKind.PLAN,
                debt_id=cmd.debt_id)
    record = PlanRecord(plan, owed, cmd.first_due_on, cmd.segment, cmd.freeze_interest, 0, cmd.actor, cmd.role)
    plan.id = plans.add(record, now)
    plan.events.append(PlanProposed(plan.id, str(plan.kind), total, cmd.currency, len(schedule),
                                    str(plan.frequency), now))
    plan.activate(now)
    plans.save(plan, now)
    _enter_arrangement(uow[CaseStore], debts, now, cmd.actor)
    uow[EventStore].record(plan.events, actor=cmd.actor, at=now)
    uow.commit()
    return record


def _require_affordable(stmt: IEStatement, instalment: int, cmd: CreatePlan, total: int, policy: PlanPolicy,
                        cfg: ArrangementConfig) -> None:
    try:
        check_affordable(stmt, instalment, Frequency(cmd.frequency), cfg.affordability)
    except PolicyViolation as exc:
        offers = affordable_plans(total, stmt, policy, cmd.first_due_on, cfg.affordability)
        exc.details["affordable_plans"] = [_quote_dict(q) for q in offers]
        raise


def _enter_arrangement(cases: CaseStore, debts: list[DebtRow], now: datetime, actor: str) -> None:
    moves: list[tuple[DebtRow, StatusChange]] = []
    for d in debts:
        case = Case(d.id, d.status, version=d.version)
        if case.status != CaseStatus.IN_ARRANGEMENT and case.can_move_to(CaseStatus.IN_ARRANGEMENT):
            moves.append((d, case.enter_arrangement(now)))
    cases.save_case_moves(moves, actor)


def _plan_share(record: PlanRecord, parts: Mapping[int, int]) -> int:
    if record.plan.debt_id is None:
        return sum(parts.values())
    return parts.get(record.plan.debt_id, 0)


def apply_to_plans(uow: UnitOfWork, customer_id: int, parts: Mapping[int, int], on: date,
                   now: datetime) -> list[object]:
    """Feed a posted payment's allocation into the customer's active plans (no commit)."""
    if not parts:
        return []
    plans = uow[PlanStore]
    events: list[object] = []
    miss = config_of(uow).miss
    for record in plans.open_for_customer(customer_id):
        share = _plan_share(record, parts)
        if share <= 0:
            continue
        plan = record.plan
        before = len(plan.events)
        plan.apply_payment(share, on, now, miss)
        new = plan.events[before:]
        plans.save(plan, now)
        events += new
        events += _after_plan_events(uow, record, new, now)
    return events


def _after_plan_events(uow: UnitOfWork, record: PlanRecord, new: list[object], now: datetime) -> list[object]:
    """Completion resolves the debt (settlements write off the rest); re-ageing is recorded."""
    from cupx.services.settlements import complete_settlement  # the settlement module uses this one

    out: list[object] = []
    for event in new:
        if isinstance(event, PlanCompleted):
            if record.plan.kind == PlanKind.SETTLEMENT:
                out += complete_settlement(uow, record, now)
            else:
                _complete_plan(uow, record, now)
        elif isinstance(event, PlanReaged):
            _reage(uow, record, event, now)
    return out


def _plan_debts(uow: UnitOfWork, record: PlanRecord) -> list[DebtRow]:
    cases = uow[CaseStore]
    debts = cases.lock_debts(customer_id=record.plan.customer_id)
    chosen = [d for d in debts if record.plan.debt_id in (None, d.id)]
    balances = cases.balances([d.id for d in chosen])
    for d in chosen:
        d.balance_minor = balances.get(d.id, 0)
    return chosen


def _complete_plan(uow: UnitOfWork, record: PlanRecord, now: datetime) -> None:
    moves: list[tuple[DebtRow, StatusChange]] = []
    for d in _plan_debts(uow, record):
        case = Case(d.id, d.status, version=d.version)
        if d.balance_minor <= 0 and case.can_move_to(CaseStatus.RESOLVED_PAID):
            moves.append((d, case.resolve_paid(now, "payment plan completed")))
        elif case.status == CaseStatus.IN_ARRANGEMENT:
            moves.append((d, case.cure(now, "payment plan completed")))
    uow[CaseStore].save_case_moves(moves, "system")


def _reage(uow: UnitOfWork, record: PlanRecord, event: PlanReaged, now: datetime) -> None:
    for d in _plan_debts(uow, record):
        uow[PlanStore].record_reaging(d.id, record.plan.id, now.date(), event.on_time_payments, now)


def unapply_from_plans(uow: UnitOfWork, customer_id: int, parts: Mapping[int, int], now: datetime) -> list[object]:
    plans = uow[PlanStore]
    for record in plans.open_for_customer(customer_id):
        share = _plan_share(record, parts)
        if share > 0:
            record.plan.unapply_payment(share)
            plans.save(record.plan, now)
    return []


def process_plan_instalments(uow: UnitOfWork, as_of: date, *, now: datetime | None = None,
                             chunk: int = 500) -> dict[str, int]:
    """Nightly: mark unpaid instalments due before `as_of` missed; append or break; commit per chunk.

    Each plan is re-read after its customer's debts are locked, the same order a payment takes
    (debts, then plan), so a payment arriving meanwhile is neither lost nor deadlocked.
    """
    now = now or datetime.now(UTC)
    miss = config_of(uow).miss
    plans, cases = uow[PlanStore], uow[CaseStore]
    counts = {"plans": 0, "missed": 0, "broken": 0}
    events: list[object] = []
    for stale in plans.with_overdue(as_of):
        cases.lock_debts(customer_id=stale.plan.customer_id)
        record = plans.get(stale.plan.id)
        new = record.plan.process_due(as_of, now, miss)
        if not new:
            continue
        counts["plans"] += 1
        counts["missed"] += sum(1 for e in new if isinstance(e, InstalmentMissed))
        plans.save(record.plan, now, end_reason=next((e.reason for e in new if isinstance(e, PlanBroken)), None))
        if any(isinstance(e, PlanBroken) for e in new):
            counts["broken"] += 1
            _break_cases(cases, record, now)
        events += new
        if counts["plans"] % chunk == 0:  # bounded transactions: locks are not held for the whole run
            uow[EventStore].record(events, actor="cycle", at=now)
            uow.commit()
            events = []
    uow[EventStore].record(events, actor="cycle", at=now)
    uow.commit()
    return counts


def _break_cases(cases: CaseStore, record: PlanRecord, now: datetime) -> None:
    debts = cases.debts([record.plan.debt_id]) if record.plan.debt_id else \
        cases.lock_debts(customer_id=record.plan.customer_id)
    moves: list[tuple[DebtRow, StatusChange]] = []
    for d in debts:
        case = Case(d.id, d.status, version=d.version)
        if case.status == CaseStatus.IN_ARRANGEMENT:
            moves.append((d, case.break_arrangement(now, "payment plan broken")))
    cases.save_case_moves(moves, "cycle")

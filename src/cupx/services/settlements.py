"""Settlement use cases: request (within authority or into the approval queue), approve, complete.

A settlement is a `payment_plans` row of kind `settlement` on one debt. Within the requester's
authority it starts active at once; above it, it waits as `pending_approval` until a supervisor or
manager whose own authority covers the discount approves it. When active, a settlement letter (PDF,
ReportLab) records the terms. When its last instalment is paid, whatever is still owed is written off
(`write_off` ledger entry, source 'settlement') and the case is resolved as settled.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from cupx.domain.case import Case, CaseStatus, StatusChange
from cupx.domain.errors import InvalidTransition, ValidationError
from cupx.domain.money import Money
from cupx.domain.plans import Frequency, Plan, PlanKind, PlanProposed, PlanStatus, build_schedule
from cupx.domain.settlements import (
    SettlementApproved,
    SettlementRequested,
    SettlementSettled,
    decide_settlement,
    require_authority,
    write_off_minor,
)
from cupx.services.payment_ports import CaseStore, DebtRow, EventStore, PlanRecord, PlanStore
from cupx.services.plans import config_of
from cupx.services.uow import UnitOfWork

__all__ = [
    "ApproveSettlement",
    "RequestSettlement",
    "approve_settlement",
    "complete_settlement",
    "render_settlement_letter",
    "request_settlement",
]


@dataclass(frozen=True, slots=True)
class RequestSettlement:
    debt_id: int
    amount_minor: int
    currency: str
    first_due_on: date
    instalment_count: int = 1
    frequency: Frequency = Frequency.MONTHLY
    segment: str = "default"
    actor: str = "system"
    role: str = "agent"
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApproveSettlement:
    plan_id: int
    actor: str
    role: str
    now: datetime | None = None


def _debt(uow: UnitOfWork, debt_id: int) -> DebtRow:
    cases = uow[CaseStore]
    debt = next(d for d in cases.lock_debts(debt_id=debt_id) if d.id == debt_id)
    debt.balance_minor = cases.balances([debt_id]).get(debt_id, 0)
    return debt


def request_settlement(uow: UnitOfWork, cmd: RequestSettlement) -> PlanRecord:
    cfg = config_of(uow)
    now = cmd.now or datetime.now(UTC)
    if cmd.first_due_on < now.date():
        raise ValidationError("the first payment date is in the past", field="first_due_on")
    debt = _debt(uow, cmd.debt_id)
    if debt.currency != cmd.currency:
        raise ValidationError(f"debt {debt.id} is in {debt.currency}", field="currency")
    if not debt.status.is_open:
        raise ValidationError(f"debt {debt.id} is {debt.status}", field="debt_id")
    decision = decide_settlement(debt.balance_minor, cmd.amount_minor, cmd.instalment_count, cmd.segment, cmd.role,
                                 cfg.settlement)
    schedule = build_schedule(cmd.amount_minor, cmd.instalment_count, Frequency(cmd.frequency), cmd.first_due_on)
    plan = Plan(debt.customer_id, cmd.currency, Frequency(cmd.frequency), schedule, PlanKind.SETTLEMENT,
                debt_id=debt.id)
    record = PlanRecord(plan, debt.balance_minor, cmd.first_due_on, cmd.segment, False, decision.discount_bp,
                        cmd.actor, cmd.role)
    plans = uow[PlanStore]
    plan.id = plans.add(record, now)
    plan.events.append(PlanProposed(plan.id, str(plan.kind), cmd.amount_minor, cmd.currency, len(schedule),
                                    str(plan.frequency), now))
    plan.events.append(SettlementRequested(plan.id, debt.id, cmd.amount_minor, debt.balance_minor,
                                           decision.discount_bp, cmd.actor, not decision.within_authority, now))
    if decision.within_authority:
        _activate(uow, record, debt, now, None)
    else:
        plan.require_approval()
        plans.save(plan, now)
    uow[EventStore].record(plan.events, actor=cmd.actor, at=now)
    uow.commit()
    return record


def _activate(uow: UnitOfWork, record: PlanRecord, debt: DebtRow, now: datetime, approver: str | None) -> None:
    plan = record.plan
    plan.activate(now, approver)
    plans = uow[PlanStore]
    record.letter_path = plans.write_letter(plan.id, render_settlement_letter(record, now))
    plans.save(plan, now, approved_by=approver, letter_path=record.letter_path)
    record.approved_by = approver
    case = Case(debt.id, debt.status, version=debt.version)
    if case.status != CaseStatus.IN_ARRANGEMENT and case.can_move_to(CaseStatus.IN_ARRANGEMENT):
        uow[CaseStore].save_case_moves([(debt, case.enter_arrangement(now, "settlement agreed"))], approver or
                                       record.requested_by)


def approve_settlement(uow: UnitOfWork, cmd: ApproveSettlement) -> PlanRecord:
    """Approve a queued settlement; the approver's own authority must cover the discount."""
    cfg = config_of(uow)
    now = cmd.now or datetime.now(UTC)
    record = uow[PlanStore].get(cmd.plan_id)
    if record.plan.kind != PlanKind.SETTLEMENT or record.plan.debt_id is None:
        raise InvalidTransition(f"plan {cmd.plan_id} is not a settlement", field="plan_id")
    debt = _debt(uow, record.plan.debt_id)  # lock the debts first, as payments do, then re-read the plan
    record = uow[PlanStore].get(cmd.plan_id)
    if record.plan.status != PlanStatus.PENDING_APPROVAL:
        raise InvalidTransition(f"settlement {cmd.plan_id} is {record.plan.status}, not waiting for approval",
                                field="plan_id")
    require_authority(cmd.role, record.discount_bp, cfg.settlement)
    before = len(record.plan.events)
    _activate(uow, record, debt, now, cmd.actor)
    record.plan.events.append(SettlementApproved(record.plan.id, cmd.actor, now))
    uow[EventStore].record(record.plan.events[before:], actor=cmd.actor, at=now)
    uow.commit()
    return record


def complete_settlement(uow: UnitOfWork, record: PlanRecord, now: datetime) -> list[object]:
    """The settlement is paid: write off what is still owed and resolve the case as settled (no commit)."""
    assert record.plan.debt_id is not None
    debt = _debt(uow, record.plan.debt_id)
    rest = write_off_minor(debt.balance_minor)
    if rest:
        uow[CaseStore].post_entries([{
            "debt_id": debt.id, "kind": "write_off", "amount_minor": rest, "currency": debt.currency,
            "effective_date": now.date(), "posted_at": now, "source": "settlement",
            "idempotency_key": f"settlement:{record.plan.id}:write_off",
            "memo": f"settlement {record.plan.id}: remainder written off as settled"}])
    case = Case(debt.id, debt.status, version=debt.version)
    moves: list[tuple[DebtRow, StatusChange]] = []
    if case.can_move_to(CaseStatus.RESOLVED_SETTLED):
        moves.append((debt, case.resolve_settled(now, f"settlement {record.plan.id} paid")))
    uow[CaseStore].save_case_moves(moves, "system")
    return [SettlementSettled(record.plan.id, debt.id, rest, now)]


def render_settlement_letter(record: PlanRecord, now: datetime) -> bytes:
    """A one-page PDF stating the settlement's terms."""
    plan = record.plan
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=LETTER)
    pdf.setTitle(f"Settlement agreement {plan.id}")
    y = 10 * inch
    lines = [
        "Settlement agreement",
        f"Reference: settlement {plan.id}, account {plan.debt_id}",
        f"Date: {now.date().isoformat()}",
        "",
        f"Balance owed when agreed: {Money(record.balance_minor, plan.currency).format()}",
        f"Settlement amount: {Money(plan.total_minor, plan.currency).format()}"
        f" ({record.discount_bp / 100:.2f}% discount)",
        f"Paid in {len(plan.instalments)} {plan.frequency} instalment(s):",
        *[f"  {i.seq}. {i.due_on.isoformat()}  {Money(i.amount_minor, plan.currency).format()}"
          for i in plan.instalments],
        "",
        "When every instalment is paid on time, the remaining balance is written off and the",
        "account is reported as settled. If an instalment is missed, the agreement may end and the",
        "full remaining balance would again be owed.",
    ]
    for text in lines:
        pdf.drawString(inch, y, text)
        y -= 0.3 * inch
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

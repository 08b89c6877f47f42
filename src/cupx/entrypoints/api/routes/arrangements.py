"""Arrangements over HTTP: promises to pay, I&E statements, plans (quote, create, list), settlements
(request, approval queue, approve) and hardship holds. Thin: parse, call a service, shape the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from cupx.domain.hardship import HoldKind
from cupx.domain.plans import Frequency
from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.services.hardship import StartHold, forbearance_options, record_vulnerability, routing, start_hold
from cupx.services.payment_ports import PlanRecord, PlanStore, PromiseStore
from cupx.services.plans import CreatePlan, RecordStatement, create_plan, quote_plans, record_statement
from cupx.services.promises import CancelPromise, MakePromise, cancel_promise, make_promise
from cupx.services.settlements import ApproveSettlement, RequestSettlement, approve_settlement, request_settlement

__all__ = ["plan_dict", "router"]

router = APIRouter(prefix="/api/v1", tags=["arrangements"])
WRITE = Depends(require(Permission.PAYMENTS_WRITE))
READ = Depends(require(Permission.DEBTS_READ))
APPROVE = Depends(require(Permission.ARRANGEMENTS_APPROVE))


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewPromise(_Body):
    customer_id: StrictInt
    debt_id: StrictInt | None = None
    amount_minor: StrictInt = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    promised_on: date
    channel: str = Field("call", max_length=16)


class Cancel(_Body):
    reason: str = Field(min_length=1, max_length=200)


class NewStatement(_Body):
    customer_id: StrictInt
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    income: dict[str, StrictInt] = Field(description="monthly income lines, minor units")
    expenditure: dict[str, StrictInt] = Field(description="monthly expenditure lines, minor units")
    taken_on: date | None = None


class PlanQuoteRequest(_Body):
    customer_id: StrictInt
    debt_id: StrictInt | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    first_due_on: date
    segment: str = Field("default", max_length=40)
    total_minor: StrictInt | None = Field(None, gt=0)


class NewPlan(PlanQuoteRequest):
    frequency: Frequency
    instalment_count: StrictInt = Field(ge=1, le=520)
    freeze_interest: bool = False


class NewSettlement(_Body):
    debt_id: StrictInt
    amount_minor: StrictInt = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    first_due_on: date
    instalment_count: StrictInt = Field(1, ge=1, le=24)
    frequency: Frequency = Frequency.MONTHLY
    segment: str = Field("default", max_length=40)


class NewFlag(_Body):
    customer_id: StrictInt
    flag: str = Field("vulnerable", max_length=40)


class NewHold(_Body):
    customer_id: StrictInt
    debt_id: StrictInt | None = None
    reason: str = Field(min_length=1, max_length=200)
    days: StrictInt | None = Field(None, ge=1)
    kind: HoldKind = HoldKind.BREATHING_SPACE
    starts_on: date | None = None
    segment: str = Field("default", max_length=40)


def _actor(p: Principal) -> str:
    return f"user:{p.username}"


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


def plan_dict(r: PlanRecord) -> dict[str, Any]:
    p = r.plan
    return {"id": p.id, "customer_id": p.customer_id, "debt_id": p.debt_id, "kind": str(p.kind),
            "status": str(p.status), "total_minor": p.total_minor, "paid_minor": p.paid_minor,
            "currency": p.currency, "frequency": str(p.frequency), "balance_minor": r.balance_minor,
            "segment": r.segment, "discount_bp": r.discount_bp, "requested_by": r.requested_by,
            "approved_by": r.approved_by, "letter_path": r.letter_path, "freeze_interest": r.freeze_interest,
            "consecutive_misses": p.consecutive_misses, "reaged": p.reaged,
            "instalments": [{"seq": i.seq, "due_on": i.due_on.isoformat(), "amount_minor": i.amount_minor,
                             "paid_minor": i.paid_minor, "status": str(i.status)} for i in p.instalments]}


@router.post("/promises", status_code=201)
def post_promise(body: NewPromise, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        row = make_promise(uow, MakePromise(body.customer_id, body.amount_minor, body.currency, body.promised_on,
                                            body.channel, _actor(principal), body.debt_id))
    return _jsonable(row)


@router.get("/promises")
def list_promises(request: Request, customer_id: int | None = None, status: str | None = None,
                  queue: str | None = None, _: Principal = READ) -> list[dict[str, Any]]:
    """Promises; `?status=broken&queue=open` is the broken-promise queue."""
    with request.app.state.runtime.uow() as uow:
        rows = uow[PromiseStore].list(customer_id=customer_id, status=status, queue_status=queue)
    return [_jsonable(r) for r in rows]


@router.post("/promises/{promise_id}/cancel")
def post_cancel_promise(promise_id: int, body: Cancel, request: Request,
                        principal: Principal = WRITE) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        return _jsonable(cancel_promise(uow, CancelPromise(promise_id, body.reason, _actor(principal))))


@router.post("/promises/{promise_id}/worked")
def post_worked(promise_id: int, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Take a broken promise off the queue once an agent has followed it up."""
    with request.app.state.runtime.uow() as uow:
        uow[PromiseStore].work(promise_id, _actor(principal), datetime.now(UTC))
        uow.commit()
        return _jsonable(uow[PromiseStore].get(promise_id))


@router.post("/ie-statements", status_code=201)
def post_statement(body: NewStatement, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        return record_statement(uow, RecordStatement(body.customer_id, body.currency, body.income, body.expenditure,
                                                     body.taken_on or datetime.now(UTC).date(), _actor(principal)))


@router.post("/plans/quote")
def post_quote(body: PlanQuoteRequest, request: Request, _: Principal = WRITE) -> dict[str, Any]:
    """The plans the customer can afford within the segment's policy."""
    with request.app.state.runtime.uow() as uow:
        return quote_plans(uow, body.customer_id, body.currency, body.first_due_on, debt_id=body.debt_id,
                           segment=body.segment, total_minor=body.total_minor)


@router.post("/plans", status_code=201)
def post_plan(body: NewPlan, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        record = create_plan(uow, CreatePlan(
            body.customer_id, body.total_minor, body.currency, body.frequency, body.instalment_count,
            body.first_due_on, body.debt_id, body.segment, body.freeze_interest, _actor(principal),
            str(principal.role)))
    return plan_dict(record)


@router.get("/plans")
def list_plans(request: Request, customer_id: int | None = None, status: str | None = None,
               kind: str | None = None, _: Principal = READ) -> list[dict[str, Any]]:
    with request.app.state.runtime.uow() as uow:
        return [plan_dict(r) for r in uow[PlanStore].list(customer_id=customer_id, status=status, kind=kind)]


@router.get("/plans/{plan_id}")
def get_plan(plan_id: int, request: Request, _: Principal = READ) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        return plan_dict(uow[PlanStore].get(plan_id))


@router.post("/settlements", status_code=201)
def post_settlement(body: NewSettlement, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Within the requester's authority the settlement starts at once; above it, it joins the approval queue."""
    with request.app.state.runtime.uow() as uow:
        record = request_settlement(uow, RequestSettlement(
            body.debt_id, body.amount_minor, body.currency, body.first_due_on, body.instalment_count,
            body.frequency, body.segment, _actor(principal), str(principal.role)))
    return plan_dict(record)


@router.get("/settlements/approvals")
def approval_queue(request: Request, _: Principal = APPROVE) -> list[dict[str, Any]]:
    with request.app.state.runtime.uow() as uow:
        return [plan_dict(r) for r in uow[PlanStore].list(status="pending_approval", kind="settlement")]


@router.post("/settlements/{plan_id}/approve")
def post_approve(plan_id: int, request: Request, principal: Principal = APPROVE) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        return plan_dict(approve_settlement(uow, ApproveSettlement(plan_id, _actor(principal), str(principal.role))))


@router.post("/hardship/breathing-space", status_code=201)
def post_hold(body: NewHold, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Breathing space (60 days by default) or another forbearance option the segment allows."""
    with request.app.state.runtime.uow() as uow:
        return start_hold(uow, StartHold(body.customer_id, body.reason, body.starts_on or datetime.now(UTC).date(),
                                         body.days, body.kind, body.debt_id, body.segment, _actor(principal)))


@router.get("/hardship/options")
def get_options(request: Request, segment: str = "default", _: Principal = READ) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        return {"segment": segment, "options": forbearance_options(uow, segment)}


@router.get("/hardship/routing/{customer_id}")
def get_routing(customer_id: int, request: Request, _: Principal = READ) -> dict[str, Any]:
    """Where the account is worked: vulnerability flags route to trained agents."""
    with request.app.state.runtime.uow() as uow:
        return routing(uow, customer_id)


@router.post("/hardship/vulnerability", status_code=201)
def post_vulnerability(body: NewFlag, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Record a vulnerability or hardship flag; the account goes to agents trained for it."""
    with request.app.state.runtime.uow() as uow:
        return record_vulnerability(uow, body.customer_id, body.flag, _actor(principal))

"""Payments over HTTP: `POST /api/v1/payments` (idempotent), reversal, and reading one payment.

Bad input answers 4xx with the field at fault and writes nothing: the body is validated by pydantic,
then by the service inside one transaction that rolls back on any error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator

from cupx.domain.payments import AllocationOrder, PaymentMethod
from cupx.domain.staff import Permission
from cupx.entrypoints.api.idempotency import IdempotencyKey, run_idempotent
from cupx.entrypoints.api.security import Principal, require
from cupx.services.payment_ports import PaymentStore
from cupx.services.payments import PostPayment, ReversePayment, post_payment, reverse_payment
from cupx.services.uow import UnitOfWork

__all__ = ["NewPayment", "PaymentReversal", "router"]

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
SCOPE = "POST /api/v1/payments"


class NewPayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debt_id: StrictInt | None = Field(None, description="pay one debt (the customer's direction)")
    customer_id: StrictInt | None = Field(None, description="pay across the customer's debts")
    amount_minor: StrictInt = Field(gt=0, description="minor units, positive")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    received_at: AwareDatetime
    method: PaymentMethod = PaymentMethod.CARD
    reference: str = Field("", max_length=200)
    allocation: dict[int, StrictInt] | None = Field(None, description="debt id -> minor units, as the customer "
                                                    "directed; the rest follows the configured order")
    order: AllocationOrder | None = None

    @model_validator(mode="after")
    def _one_target(self) -> NewPayment:
        if (self.debt_id is None) == (self.customer_id is None):
            raise ValueError("give exactly one of debt_id or customer_id")
        return self


class PaymentReversal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=150)
    kind: Literal["reversal", "chargeback", "returned"] = "reversal"


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


@router.post("", status_code=201, responses={409: {"description": "Idempotency-Key reused with another body"}})
def post(body: NewPayment, request: Request, idempotency_key: IdempotencyKey = None,
         principal: Principal = Depends(require(Permission.PAYMENTS_WRITE))) -> JSONResponse:
    """Post a payment: allocated as directed, else by the configured order (R-17); overpayment held as credit."""
    key = f"api:{idempotency_key.strip()}" if idempotency_key else f"api-nokey:{uuid.uuid4().hex}"
    cmd = PostPayment(amount_minor=body.amount_minor, currency=body.currency, received_at=body.received_at,
                      idempotency_key=key, method=body.method, reference=body.reference, debt_id=body.debt_id,
                      customer_id=body.customer_id, allocation=body.allocation, source="api",
                      actor=_actor(principal), order=body.order or AllocationOrder.OLDEST_FIRST,
                      now=datetime.now(UTC))

    def action(uow: UnitOfWork) -> tuple[int, Any]:
        return 201, post_payment(uow, cmd).to_dict()

    return run_idempotent(request, scope=SCOPE, key=idempotency_key, payload=body, action=action)


@router.post("/{payment_id}/reversal", status_code=200)
def reverse(payment_id: int, body: PaymentReversal, request: Request,
            principal: Principal = Depends(require(Permission.PAYMENTS_WRITE))) -> dict[str, Any]:
    """Reverse (or charge back) a payment: its entries are reversed and resolved debts re-opened."""
    with request.app.state.runtime.uow() as uow:
        return reverse_payment(uow, ReversePayment(payment_id, body.reason, body.kind, _actor(principal))).to_dict()


@router.get("/{payment_id}")
def get(payment_id: int, request: Request,
        _: Principal = Depends(require(Permission.DEBTS_READ))) -> dict[str, Any]:
    with request.app.state.runtime.uow() as uow:
        p = uow[PaymentStore].get(payment_id)
    return {"payment_id": p.id, "customer_id": p.customer_id, "amount_minor": p.amount_minor,
            "currency": p.currency, "received_at": p.received_at.isoformat(), "method": p.method,
            "reference": p.reference, "status": p.status, "credit_minor": p.credit_minor,
            "allocations": [{"debt_id": d, "ledger_entry_id": e, "amount_minor": a} for d, e, a in p.allocations]}

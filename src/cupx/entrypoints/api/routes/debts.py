"""Debts: a debt's balance breakdown, days past due and case status, the active model's score with its
plain-word reasons (`score`, null when no model is active), and its ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from cupx.bootstrap import Runtime
from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.services.account_view import debt_score
from cupx.services.accounts import debt_view, ledger_of

__all__ = ["BalanceBreakdown", "DebtOut", "DebtScore", "LedgerEntryOut", "router"]

router = APIRouter(prefix="/api/v1/debts", tags=["debts"])


class BalanceBreakdown(BaseModel):
    principal: int
    interest: int
    fees: int
    credit: int  # overpayment held; reduces balance_minor


class DebtScore(BaseModel):
    score: float  # calibrated probability of paying or curing within 30 days
    risk_band: str  # A (most likely to pay) .. E
    model_version: str
    reasons: list[str]  # plain words, from the model's own feature contributions (pred_contrib)


class LedgerEntryOut(BaseModel):
    id: int
    debt_id: int
    kind: str
    component: str | None
    amount_minor: int
    currency: str
    effective_date: date
    posted_at: datetime
    reverses_id: int | None
    reversed_by: int | None
    external_id: str | None
    source: str
    memo: str


class DebtOut(BaseModel):
    id: int
    external_id: str
    customer_id: int
    creditor: str
    product: str
    currency: str
    original_minor: int
    jurisdiction: str
    opened_on: date | None
    charge_off_date: date | None
    sol_date: date | None
    status: str  # case status (cupx.domain.case.CaseStatus)
    as_of: date
    balance_minor: int  # principal + interest + fees - credit, as of `as_of`
    breakdown: BalanceBreakdown
    paid_minor: int
    written_off_minor: int
    days_past_due: int
    oldest_unpaid_due_on: date | None
    time_barred: bool
    due_schedule: list[dict[str, Any]]
    score: DebtScore | None = None  # null when no model is active


def today_utc() -> date:
    """The edge reads the clock once per request; balances and DPD take it as `as_of`."""
    return datetime.now(UTC).date()


@router.get("/{debt_id}", response_model=DebtOut)
def get_debt(debt_id: str, request: Request,
             as_of: date | None = Query(None, description="balance and DPD as of this date (default today, UTC)"),
             _: Principal = Depends(require(Permission.DEBTS_READ))) -> dict[str, Any]:
    """A debt by CU-PX id or external id."""
    runtime: Runtime = request.app.state.runtime
    day = as_of or today_utc()
    with runtime.uow() as uow:
        out = debt_view(uow, debt_id, day).to_dict()
        out["score"] = debt_score(uow, out["id"], out["customer_id"], day)
    return out


@router.get("/{debt_id}/ledger", response_model=list[LedgerEntryOut])
def get_ledger(debt_id: str, request: Request,
               _: Principal = Depends(require(Permission.DEBTS_READ))) -> list[dict[str, Any]]:
    """A debt's ledger entries in (effective date, posting) order."""
    runtime: Runtime = request.app.state.runtime
    with runtime.uow() as uow:
        return ledger_of(uow, debt_id)

"""Posting one ledger entry: `POST /api/v1/ledger`, idempotent under the `Idempotency-Key` header."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from cupx.domain.ledger import Component, EntryKind
from cupx.domain.staff import Permission
from cupx.entrypoints.api.idempotency import IdempotencyKey, run_idempotent
from cupx.entrypoints.api.routes.debts import LedgerEntryOut
from cupx.entrypoints.api.security import Principal, require
from cupx.services.accounts import PostLedgerEntry, post_ledger_entry
from cupx.services.uow import UnitOfWork

__all__ = ["NewLedgerEntry", "router"]

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
SCOPE = "POST /api/v1/ledger"


class NewLedgerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debt_id: str | StrictInt = Field(description="CU-PX id or external id of the debt")
    kind: EntryKind
    amount_minor: StrictInt | None = Field(None, description="minor units; signed for adjustments only; "
                                           "optional for a reversal (the target's amount)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    effective_date: date | None = Field(None, description="default today (UTC)")
    component: Component | None = Field(None, description="adjustments only")
    reverses_id: StrictInt | None = Field(None, description="reversals only: the entry undone")
    external_id: str | None = Field(None, max_length=100)
    memo: str = Field("", max_length=500)


@router.post("", status_code=201, response_model=LedgerEntryOut,
             responses={409: {"description": "Idempotency-Key reused with another body"}})
def post_entry(body: NewLedgerEntry, request: Request, idempotency_key: IdempotencyKey = None,
               principal: Principal = Depends(require(Permission.LEDGER_WRITE))) -> JSONResponse:
    """Append one entry to a debt's ledger; the same Idempotency-Key and body replay the first answer."""
    now = datetime.now(UTC)
    cmd = PostLedgerEntry(
        debt_id=str(body.debt_id), kind=body.kind, currency=body.currency, today=now.date(), now=now,
        amount_minor=body.amount_minor, effective_date=body.effective_date,
        component=body.component, reverses_id=body.reverses_id, external_id=body.external_id,
        memo=body.memo, source="api",
        idempotency_key=f"ledger-api:{idempotency_key.strip()}" if idempotency_key else None)

    def action(uow: UnitOfWork) -> tuple[int, Any]:
        return 201, post_ledger_entry(uow, cmd)

    return run_idempotent(request, scope=SCOPE, key=idempotency_key, payload=body, action=action)

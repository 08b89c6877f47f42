"""Disputes over HTTP (RULES.md R-13): record a dispute, record that verification was sent, resolve.

`POST /api/v1/debts/{debt_id}/disputes`, `.../disputes/verification`, `.../disputes/resolve`; agents record
disputes, so every route needs `payments:write`. Bad input answers 4xx naming the field and writes nothing
(pydantic first, then the service inside one transaction).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.services.disputes import (
    RecordDispute,
    ResolveDispute,
    SendVerification,
    record_dispute,
    resolve_dispute,
    send_verification,
)

__all__ = ["NewDispute", "Resolution", "Verification", "router"]

router = APIRouter(prefix="/api/v1/debts/{debt_id}/disputes", tags=["disputes"])
WRITE = Depends(require(Permission.PAYMENTS_WRITE))


class NewDispute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    received_at: AwareDatetime
    written: StrictBool
    medium: str = Field(min_length=1, max_length=40, description="letter, email, portal, telephone_call, ...")
    grounds: str = Field(min_length=1, max_length=500)
    submitted_at: AwareDatetime | None = None


class Verification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sent_at: AwareDatetime | None = Field(None, description="defaults to now")


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: StrictBool
    at: AwareDatetime | None = Field(None, description="defaults to now")


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


@router.post("", status_code=201)
def record(debt_id: int, body: NewDispute, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Record a dispute: the case becomes `disputed` and pending collection messages on it are cancelled."""
    cmd = RecordDispute(debt_id, body.received_at, body.written, body.medium, body.grounds, body.submitted_at,
                        _actor(principal))
    with request.app.state.runtime.uow() as uow:
        return record_dispute(uow, cmd).to_dict()


@router.post("/verification", status_code=200)
def verify(debt_id: int, body: Verification, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Record that verification of the disputed debt was sent."""
    cmd = SendVerification(debt_id, body.sent_at or datetime.now(UTC), _actor(principal))
    with request.app.state.runtime.uow() as uow:
        return send_verification(uow, cmd).to_dict()


@router.post("/resolve", status_code=200)
def resolve(debt_id: int, body: Resolution, request: Request, principal: Principal = WRITE) -> dict[str, Any]:
    """Upheld closes the case; not upheld (after verification) returns it to collection."""
    cmd = ResolveDispute(debt_id, body.upheld, body.at or datetime.now(UTC), _actor(principal))
    with request.app.state.runtime.uow() as uow:
        return resolve_dispute(uow, cmd).to_dict()

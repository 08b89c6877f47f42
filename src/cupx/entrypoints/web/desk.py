"""The agent desk (permission AGENT_DESK): GET /desk/debts/{debt_id} shows the whole account around one
debt, as of today or `?as_of=YYYY-MM-DD`: the customer and contact points, every debt of the customer,
the model's score, risk band and plain-word reasons (or that no model is active), recent contacts,
promises and plans, and when the compliance guard next allows a call, a text and an email.

The page only reads (`cupx.services.account_view.account_view`); the edge reads the clock once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from cupx.bootstrap import Runtime
from cupx.domain.money import Money
from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import Principal, require
from cupx.entrypoints.web.templating import render
from cupx.services.account_view import account_view

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else Money(int(minor), currency).format()


@router.get("/desk/debts/{debt_id}")
def desk_account(debt_id: str, request: Request,
                 as_of: date | None = Query(None, description="the account as of this date (default today, UTC)"),
                 principal: Principal = Depends(require(Permission.AGENT_DESK))) -> Response:
    runtime: Runtime = request.app.state.runtime
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        view = account_view(uow, debt_id, as_of or now.date(), now)
    return render(request, "desk_account.html", {"view": view.to_dict(), "money": _money,
                                                 "nav_links": []})

"""Customers: one customer with decrypted contact points and debts, and look-up by phone, email or
external id (exact match through the keyed hash, so no personal data is scanned in clear)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from cupx.bootstrap import Runtime
from cupx.domain.staff import Permission
from cupx.entrypoints.api.routes.debts import today_utc
from cupx.entrypoints.api.security import Principal, require
from cupx.services.accounts import MAX_PAGE, CustomerQuery, customer_view, find_customers

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


@router.get("")
def list_customers(request: Request,
                   phone: str | None = Query(None, description="exact phone number, any format"),
                   email: str | None = Query(None, description="exact email address"),
                   external_id: str | None = Query(None),
                   after_id: int = Query(0, ge=0, description="`next_after` of the previous page"),
                   limit: int = Query(50, ge=1, le=MAX_PAGE),
                   _: Principal = Depends(require(Permission.CUSTOMERS_READ))) -> dict[str, Any]:
    """A page of customers ordered by id: `{"items": [...], "next_after": id | null}`."""
    runtime: Runtime = request.app.state.runtime
    query = CustomerQuery(phone=phone, email=email, external_id=external_id, after_id=after_id, limit=limit)
    with runtime.uow() as uow:
        return find_customers(uow, query).to_dict()


@router.get("/{customer_id}")
def get_customer(customer_id: str, request: Request,
                 as_of: date | None = Query(None, description="debt balances as of this date (default today)"),
                 _: Principal = Depends(require(Permission.CUSTOMERS_READ))) -> dict[str, Any]:
    """A customer by CU-PX id or external id, with contact points and each debt's balance."""
    runtime: Runtime = request.app.state.runtime
    with runtime.uow() as uow:
        return customer_view(uow, customer_id, as_of or today_utc()).to_dict()

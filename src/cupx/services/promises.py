"""Promise-to-pay use cases: take a promise, and resolve every pending promise in bulk each night.

`resolve_promises(uow, as_of)` is columnar: it loads pending promises and the payments that may count
towards them as two frames, computes the new status with `cupx.domain.promises.resolution_expr` (the
same rule as the scalar `decide_promise`), and writes the changes back in one batch. A broken promise
leaves `pending`, so the account is back in its strategy, and joins the broken-promise queue
(`queue_status = 'open'`) for an agent to follow up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from cupx.domain.errors import ValidationError
from cupx.domain.promises import Promise, PromiseStatus, resolution_expr
from cupx.services.payment_ports import CaseStore, EventStore, PromiseStore
from cupx.services.plans import config_of
from cupx.services.uow import UnitOfWork

__all__ = ["CancelPromise", "MakePromise", "cancel_promise", "make_promise", "resolve_promises"]


@dataclass(frozen=True, slots=True)
class MakePromise:
    customer_id: int
    amount_minor: int
    currency: str
    promised_on: date
    channel: str = "call"
    taken_by: str = "system"
    debt_id: int | None = None
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelPromise:
    promise_id: int
    reason: str
    actor: str = "system"
    now: datetime | None = None


def make_promise(uow: UnitOfWork, cmd: MakePromise) -> dict[str, Any]:
    now = cmd.now or datetime.now(UTC)
    promise = Promise(cmd.customer_id, cmd.amount_minor, cmd.currency, cmd.promised_on, cmd.channel, cmd.taken_by,
                      cmd.debt_id)
    promise.validate_new(now.date())
    debts = uow[CaseStore].lock_debts(customer_id=None if cmd.debt_id else cmd.customer_id, debt_id=cmd.debt_id)
    if debts[0].customer_id != cmd.customer_id:
        raise ValidationError(f"debt {cmd.debt_id} is not the customer's", field="debt_id")
    if any(d.currency != cmd.currency for d in debts if cmd.debt_id in (None, d.id)):
        raise ValidationError(f"the debts are not in {cmd.currency}", field="currency")
    store = uow[PromiseStore]
    promise.id = store.add({"customer_id": cmd.customer_id, "debt_id": cmd.debt_id, "amount_minor": cmd.amount_minor,
                            "currency": cmd.currency, "promised_on": cmd.promised_on, "status": "pending",
                            "channel": cmd.channel, "taken_by": cmd.taken_by, "created_at": now})
    promise.made(now)
    uow[EventStore].record(promise.events, actor=cmd.taken_by, at=now)
    uow.commit()
    return store.get(promise.id)


def cancel_promise(uow: UnitOfWork, cmd: CancelPromise) -> dict[str, Any]:
    now = cmd.now or datetime.now(UTC)
    store = uow[PromiseStore]
    row = store.get(cmd.promise_id)
    promise = Promise(row["customer_id"], row["amount_minor"], row["currency"], row["promised_on"],
                      id=row["id"], status=PromiseStatus(row["status"]))
    promise.cancel(cmd.reason, now)
    store.set_status(promise.id, str(promise.status), now)
    uow[EventStore].record(promise.events, actor=cmd.actor, at=now)
    uow.commit()
    return store.get(promise.id)


def resolve_promises(uow: UnitOfWork, as_of: date, *, now: datetime | None = None) -> dict[str, int]:
    """Nightly, in bulk: decide kept/broken for every pending promise as of `as_of`; commit once.

    Payments count towards a promise when received from the day it was made up to its promised date
    plus the grace period (and no later than `as_of`); reversed payments do not count.
    """
    now = now or datetime.now(UTC)
    policy = config_of(uow).promise
    store = uow[PromiseStore]
    pending = store.pending_frame()
    if pending.is_empty():
        return {"pending": 0, "kept": 0, "broken": 0}
    paid = store.payments_frame(as_of)
    window_end = pl.col("promised_on") + pl.duration(days=policy.grace_days)
    totals = (
        paid.join(pending.select("id", "promised_on", "created_on"), left_on="promise_id", right_on="id")
        .filter((pl.col("effective_date") >= pl.col("created_on")) & (pl.col("effective_date") <= window_end)
                & (pl.col("effective_date") <= as_of))
        .group_by("promise_id").agg(pl.col("amount_minor").sum().alias("paid_minor"))
    )
    decided = (
        pending.join(totals, left_on="id", right_on="promise_id", how="left")
        .with_columns(pl.col("paid_minor").fill_null(0).cast(pl.Int64))
        .with_columns(resolution_expr(as_of, policy))
        .filter(pl.col("new_status") != str(PromiseStatus.PENDING))
    )
    store.apply_resolutions(decided, now)
    uow[EventStore].record_rows(_event_rows(decided, now))
    uow.commit()
    kept = decided.filter(pl.col("new_status") == str(PromiseStatus.KEPT)).height
    return {"pending": pending.height, "kept": kept, "broken": decided.height - kept}


def _event_rows(decided: pl.DataFrame, now: datetime) -> list[dict[str, Any]]:
    names = {str(PromiseStatus.KEPT): "PromiseKept", str(PromiseStatus.BROKEN): "PromiseBroken"}
    return [{"event_type": names[r["new_status"]], "aggregate": "promise", "aggregate_id": r["id"],
             "customer_id": r["customer_id"], "actor": "cycle", "at": now,
             "payload": f'{{"paid_minor": {r["paid_minor"]}, "amount_minor": {r["amount_minor"]}}}'}
            for r in decided.select("id", "customer_id", "new_status", "paid_minor", "amount_minor").iter_rows(
                named=True)]


"""Payment use cases (contract C4): post, reverse, and processor webhook events.

`post_payment(uow, PostPayment(...))`:
1. lock the customer's debts (PostgreSQL `SELECT ... FOR UPDATE`; SQLite `BEGIN IMMEDIATE`), so
   concurrent payments for one customer serialise and none allocates from a stale balance;
2. replay a payment already posted under the same idempotency key (another body -> Conflict);
3. allocate (customer's directions, then the configured order; never over a balance; R-17);
4. insert the payment, one ledger entry per debt (kind payment, source 'payment') and its allocations;
5. feed active plans, resolve debts paid in full (Case.resolve_paid), cancel pending outbox messages
   that no longer apply, queue a `payment_confirmation`, record events; commit.

A reversal or chargeback posts reversal entries for each allocation, re-opens resolved cases (back into
the strategy as delinquent), takes the money back out of plans, and records why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cupx.domain.case import Case, CaseStatus, StatusChange
from cupx.domain.errors import Conflict, NotFound, ValidationError
from cupx.domain.money import check_currency
from cupx.domain.payments import (
    AllocationOrder,
    DebtPosition,
    Payment,
    PaymentMethod,
    PaymentPosted,
    PaymentStatus,
    allocate_payment,
)
from cupx.services.payment_ports import (
    CaseStore,
    DebtRow,
    EventStore,
    OutboxStore,
    PaymentRecord,
    PaymentStore,
)
from cupx.services.plans import apply_to_plans, unapply_from_plans
from cupx.services.uow import UnitOfWork

__all__ = [
    "PaymentResult",
    "ProcessorEvent",
    "handle_processor_event",
    "PostPayment",
    "ReversePayment",
    "post_payment",
    "reverse_payment",
]

CONFIRMATION_TEMPLATE = "payment_confirmation"


@dataclass(frozen=True, slots=True)
class PostPayment:
    amount_minor: int
    currency: str
    received_at: datetime
    idempotency_key: str
    method: str = PaymentMethod.CARD
    reference: str = ""
    debt_id: int | None = None
    customer_id: int | None = None
    allocation: dict[int, int] | None = None
    source: str = "api"
    actor: str = "system"
    order: AllocationOrder = AllocationOrder.OLDEST_FIRST
    now: datetime | None = None
    confirm: bool = True


@dataclass(frozen=True, slots=True)
class ReversePayment:
    payment_id: int
    reason: str
    kind: str = "reversal"  # reversal | chargeback | returned
    actor: str = "system"
    now: datetime | None = None


@dataclass(slots=True)
class PaymentResult:
    payment_id: int
    customer_id: int
    status: str
    amount_minor: int
    currency: str
    allocation: dict[int, int]
    credit_minor: int
    resolved_debt_ids: list[int] = field(default_factory=list)
    reopened_debt_ids: list[int] = field(default_factory=list)
    cancelled_messages: int = 0
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"payment_id": self.payment_id, "customer_id": self.customer_id, "status": self.status,
                "amount_minor": self.amount_minor, "currency": self.currency,
                "allocation": {str(k): v for k, v in self.allocation.items()}, "credit_minor": self.credit_minor,
                "resolved_debt_ids": self.resolved_debt_ids, "reopened_debt_ids": self.reopened_debt_ids,
                "cancelled_messages": self.cancelled_messages, "replayed": self.replayed}


def _validate(cmd: PostPayment) -> None:
    if isinstance(cmd.amount_minor, bool) or not isinstance(cmd.amount_minor, int) or cmd.amount_minor <= 0:
        raise ValidationError("amount_minor must be a positive whole number of minor units", field="amount_minor")
    check_currency(cmd.currency)
    if (cmd.debt_id is None) == (cmd.customer_id is None):
        raise ValidationError("give exactly one of debt_id or customer_id", field="debt_id")
    if cmd.received_at.tzinfo is None:
        raise ValidationError("received_at must carry a time zone", field="received_at")
    if not cmd.idempotency_key or len(cmd.idempotency_key) > 200:
        raise ValidationError("an idempotency key of 1-200 characters is required", field="idempotency_key")
    if cmd.method not in set(PaymentMethod):
        raise ValidationError(f"unknown method {cmd.method!r}", field="method")


def _replay(existing: PaymentRecord, cmd: PostPayment) -> PaymentResult:
    same = (existing.amount_minor, existing.currency) == (cmd.amount_minor, cmd.currency)
    if not same:
        raise Conflict("this idempotency key was used for a different payment", field="idempotency_key")
    alloc: dict[int, int] = {}
    for debt_id, _entry, amount in existing.allocations:
        alloc[debt_id] = alloc.get(debt_id, 0) + amount
    return PaymentResult(existing.id, existing.customer_id, existing.status, existing.amount_minor,
                         existing.currency, alloc, existing.credit_minor, replayed=True)


def _positions(debts: list[DebtRow], cmd: PostPayment) -> list[DebtPosition]:
    open_debts = [d for d in debts if d.status.is_open or d.status == CaseStatus.WRITTEN_OFF]
    if cmd.debt_id is not None:
        open_debts = [d for d in debts if d.id == cmd.debt_id]
    for d in open_debts:
        if d.currency != cmd.currency:
            raise ValidationError(f"debt {d.id} is in {d.currency}, the payment in {cmd.currency}", field="currency")
    return [DebtPosition(d.id, d.balance_minor, d.currency, d.status == CaseStatus.DISPUTED, d.age_key)
            for d in open_debts]


def post_payment(uow: UnitOfWork, cmd: PostPayment) -> PaymentResult:
    """Post a payment and commit; a retry with the same key returns the first result."""
    _validate(cmd)
    now = cmd.now or datetime.now(UTC)
    cases, payments = uow[CaseStore], uow[PaymentStore]
    debts = cases.lock_debts(customer_id=cmd.customer_id, debt_id=cmd.debt_id)
    customer_id = debts[0].customer_id
    balances, active_plans = cases.balances_and_plans(customer_id, [d.id for d in debts])
    for d in debts:
        d.balance_minor = balances.get(d.id, 0)
    allocation = allocate_payment(cmd.amount_minor, cmd.currency, _positions(debts, cmd),
                                  cmd.allocation, cmd.order)
    record = PaymentRecord(0, customer_id, cmd.amount_minor, cmd.currency, cmd.received_at, str(cmd.method),
                           cmd.reference, cmd.idempotency_key, PaymentStatus.POSTED, allocation.credit)
    payment_id = payments.add(record, source=cmd.source, instructed=bool(cmd.allocation), created_at=now)
    if payment_id is None:  # the key is taken: a retry of a payment already posted
        existing = payments.by_key(cmd.idempotency_key)
        uow.rollback()
        assert existing is not None
        return _replay(existing, cmd)
    _post_entries(uow, payment_id, cmd, allocation.parts, now)
    result = PaymentResult(payment_id, customer_id, PaymentStatus.POSTED, cmd.amount_minor, cmd.currency,
                           dict(allocation.parts), allocation.credit)
    events: list[object] = [PaymentPosted(payment_id, customer_id, cmd.amount_minor, cmd.currency,
                                          dict(allocation.parts), allocation.credit, now)]
    by_id = {d.id: d for d in debts}
    for debt_id, part in allocation.parts.items():
        by_id[debt_id].balance_minor -= part
    # Resolve first: plan completion (below) re-reads the cases and only moves what is still open.
    result.resolved_debt_ids = _resolve_paid(cases, [by_id[i] for i in allocation.parts], now, cmd.actor)
    if active_plans:
        events += apply_to_plans(uow, customer_id, allocation.parts, cmd.received_at.date(), now)
    if result.resolved_debt_ids:  # messages can only have gone stale when a debt was paid off
        result.cancelled_messages = _cancel_outbox(uow, customer_id, debts, f"payment {payment_id} received")
    if cmd.confirm:
        _confirm(uow, payment_id, customer_id, cmd, list(allocation.parts), now)
    uow[EventStore].record(events, actor=cmd.actor, at=now)
    uow.commit()
    return result


def _post_entries(uow: UnitOfWork, payment_id: int, cmd: PostPayment, parts: dict[int, int], now: datetime) -> None:
    if parts:
        uow[PaymentStore].post_allocations(payment_id, parts, cmd.currency, cmd.received_at.astimezone(UTC).date(),
                                           now, f"payment {payment_id} {cmd.reference}"[:500])


def _resolve_paid(cases: CaseStore, debts: list[DebtRow], now: datetime, actor: str) -> list[int]:
    moves: list[tuple[DebtRow, StatusChange]] = []
    for d in debts:
        case = Case(d.id, d.status, version=d.version)
        if d.balance_minor <= 0 and case.can_move_to(CaseStatus.RESOLVED_PAID):
            moves.append((d, case.resolve_paid(now)))
    cases.save_case_moves(moves, actor)
    return [d.id for d, _ in moves]


def _cancel_outbox(uow: UnitOfWork, customer_id: int, debts: list[DebtRow], reason: str) -> int:
    """Cancel pending collection messages whose debts are all paid off now."""
    owed = {d.id for d in debts if d.balance_minor > 0}
    stale = [m.id for m in uow[OutboxStore].pending(customer_id)
             if m.source not in ("payment", "arrangement") and not (set(m.debt_ids) & owed)]
    if stale:
        uow[OutboxStore].cancel(stale, reason)
    return len(stale)


def _confirm(uow: UnitOfWork, payment_id: int, customer_id: int, cmd: PostPayment, debt_ids: list[int],
             now: datetime) -> None:
    payload = {"payment_id": payment_id, "amount_minor": cmd.amount_minor, "currency": cmd.currency,
               "received_at": cmd.received_at.isoformat(), "reference": cmd.reference, "debt_ids": debt_ids}
    uow[OutboxStore].queue(message_key=f"payment:{payment_id}:confirmation", customer_id=customer_id,
                           debt_ids=debt_ids, template_id=CONFIRMATION_TEMPLATE, payload=payload, at=now)


def reverse_payment(uow: UnitOfWork, cmd: ReversePayment) -> PaymentResult:
    """Reverse (or charge back) a posted payment and re-open what it paid."""
    now = cmd.now or datetime.now(UTC)
    payments, cases = uow[PaymentStore], uow[CaseStore]
    record = payments.get(cmd.payment_id)
    debts = cases.lock_debts(customer_id=record.customer_id)
    record = payments.get(cmd.payment_id)  # re-read under the lock: a concurrent reversal may have won
    payment = Payment(record.id, record.customer_id, record.amount_minor, record.currency,
                      PaymentStatus(record.status))
    event = payment.reverse(now, f"{cmd.kind}: {cmd.reason}")
    rows = [{"debt_id": debt_id, "kind": "reversal", "amount_minor": amount, "currency": record.currency,
             "effective_date": now.date(), "posted_at": now, "source": "payment", "reverses_id": entry_id,
             "idempotency_key": f"payment:{record.id}:{debt_id}:reversal", "memo": f"{cmd.kind}: {cmd.reason}"[:500]}
            for debt_id, entry_id, amount in record.allocations]
    if rows:
        cases.post_entries(rows)
    payments.mark_reversed(record.id, now, f"{cmd.kind}: {cmd.reason}"[:200])
    parts = {d: a for d, _e, a in record.allocations}
    events: list[object] = [event, *unapply_from_plans(uow, record.customer_id, parts, now)]
    reopened = _reopen(cases, [d for d in debts if d.id in parts], now, cmd.actor, cmd.kind)
    uow[EventStore].record(events, actor=cmd.actor, at=now)
    uow.commit()
    return PaymentResult(record.id, record.customer_id, PaymentStatus.REVERSED, record.amount_minor, record.currency,
                         parts, record.credit_minor, reopened_debt_ids=reopened)


def _reopen(cases: CaseStore, debts: list[DebtRow], now: datetime, actor: str, kind: str) -> list[int]:
    moves: list[tuple[DebtRow, StatusChange]] = []
    for d in debts:
        case = Case(d.id, d.status, version=d.version)
        if d.status in (CaseStatus.RESOLVED_PAID, CaseStatus.RESOLVED_SETTLED):
            moves.append((d, case.reopen(now, f"payment {kind}")))
    cases.save_case_moves(moves, actor)
    return [d.id for d, _ in moves]



@dataclass(frozen=True, slots=True)
class ProcessorEvent:
    """A payment processor's event, already authenticated by its signature (see the webhook route).

    `type` is one of SUCCEEDED (a payment arrived) or REVERSED (refunded, returned, charged back);
    `object` carries `id`, `amount`, `currency`, `created` (unix seconds) and `metadata` with
    `debt_id` or `customer_id` for a payment, or the original object's id for a reversal.
    """

    event_id: str
    type: str
    object: dict[str, Any]
    now: datetime | None = None


SUCCEEDED = frozenset({"payment_intent.succeeded", "charge.succeeded", "payment.succeeded"})
REVERSED = {"charge.refunded": "reversal", "charge.dispute.created": "chargeback", "payment.returned": "returned",
            "charge.failed": "returned"}


def _int_field(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValidationError(f"the event's object needs an integer {name}", field=f"data.object.{name}")
    return int(value)


def handle_processor_event(uow: UnitOfWork, event: ProcessorEvent) -> dict[str, Any]:
    """Apply a processor event once: a replayed event id is acknowledged and ignored."""
    now = event.now or datetime.now(UTC)
    store = uow[PaymentStore]
    if event.type not in SUCCEEDED and event.type not in REVERSED:
        return {"status": "ignored", "reason": f"event type {event.type} is not handled"}
    if not store.remember_webhook(event.event_id, event.type, None, now):
        uow.rollback()
        return {"status": "ignored", "reason": "replayed event"}
    obj = event.object
    if event.type in SUCCEEDED:
        meta = obj.get("metadata") or {}
        target = {"debt_id": _int_field(meta, "debt_id")} if "debt_id" in meta else \
            {"customer_id": _int_field(meta, "customer_id")}
        created = datetime.fromtimestamp(_int_field(obj, "created"), UTC) if "created" in obj else now
        method = str(obj.get("payment_method_type") or "card")
        result = post_payment(uow, PostPayment(
            amount_minor=_int_field(obj, "amount"), currency=str(obj.get("currency", "")).upper(), received_at=created,
            idempotency_key=f"processor:{obj.get('id')}", method=method if method in set(PaymentMethod) else "other",
            reference=str(obj.get("id", ""))[:200], source="webhook", actor="processor", now=now, **target))
        return {"status": "processed", "payment": result.to_dict()}
    original = str(obj.get("payment_intent") or obj.get("id") or "")
    record = store.by_key(f"processor:{original}")
    if record is None:
        raise NotFound(f"no payment from processor object {original!r}", field="data.object.id")
    if record.status == PaymentStatus.REVERSED:
        uow.commit()  # remember the event; the payment was already reversed
        return {"status": "ignored", "reason": "payment already reversed"}
    result = reverse_payment(uow, ReversePayment(record.id, str(obj.get("reason") or event.type)[:100],
                                                 REVERSED[event.type], "processor", now))
    return {"status": "processed", "payment": result.to_dict()}

"""SQL repositories for payments: debts locking and balances, cases, payments, outbox and events.

Locking: `lock_debts` takes every debt row of the customer in id order (`SELECT ... FOR UPDATE` on
PostgreSQL; on SQLite it opens the transaction with `BEGIN IMMEDIATE`, the single-writer lock), so two
payments for one customer never allocate from the same balance, and the fixed order avoids deadlocks.
Balances are read after the lock, in a new statement, so they include every committed entry.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.core import (
    case_status_changes,
    customer_emails,
    customer_phones,
    customers,
    debts,
    ledger_entries,
    outbox_messages,
)
from cupx.adapters.tables.payments import arrangement_events, payment_allocations, payment_webhook_events, payments
from cupx.domain.case import CaseStatus, StatusChange
from cupx.domain.errors import Conflict, NotFound
from cupx.services.payment_ports import (
    CaseStore,
    DebtRow,
    EventStore,
    OutboxRow,
    OutboxStore,
    PaymentRecord,
    PaymentStore,
)

__all__ = ["SqlCaseStore", "SqlEventStore", "SqlOutboxStore", "SqlPaymentStore", "insert_ignore"]


def insert_ignore(conn: Connection, table: Any) -> Any:
    """An INSERT that skips rows violating a unique constraint, on either database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _debt_row(r: Any) -> DebtRow:
    return DebtRow(int(r.id), int(r.customer_id), r.currency, CaseStatus(r.status), int(r.version), r.age_key)


_DEBT_COLS = (debts.c.id, debts.c.customer_id, debts.c.currency, debts.c.status, debts.c.version,
              func.coalesce(debts.c.charge_off_date, debts.c.opened_on).label("age_key"))


@implements(CaseStore)
class SqlCaseStore(CaseStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def _begin_immediate(self) -> None:
        raw = self.conn.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")

    def lock_debts(self, *, customer_id: int | None = None, debt_id: int | None = None) -> list[DebtRow]:
        if self.conn.dialect.name == "sqlite":
            self._begin_immediate()
        if customer_id is None:
            found = self.conn.execute(select(debts.c.customer_id).where(debts.c.id == debt_id)).scalar()
            if found is None:
                raise NotFound(f"debt {debt_id} does not exist", field="debt_id")
            customer_id = int(found)
        query = select(*_DEBT_COLS).where(debts.c.customer_id == customer_id).order_by(debts.c.id)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        rows = [_debt_row(r) for r in self.conn.execute(query)]
        if not rows:
            raise NotFound(f"customer {customer_id} has no debts", field="customer_id")
        return rows

    def debts(self, debt_ids: Iterable[int]) -> list[DebtRow]:
        ids = list(debt_ids)
        return [_debt_row(r) for r in self.conn.execute(select(*_DEBT_COLS).where(debts.c.id.in_(ids)))]

    def balances(self, debt_ids: Sequence[int]) -> dict[int, int]:
        if not debt_ids:
            return {}
        le, target = ledger_entries, aliased(ledger_entries)
        signed = case(
            (le.c.kind.in_(("payment", "write_off")), -le.c.amount_minor),
            (le.c.kind == "reversal",
             case((target.c.kind.in_(("payment", "write_off")), target.c.amount_minor), else_=-target.c.amount_minor)),
            else_=le.c.amount_minor,
        )
        query = (select(le.c.debt_id, func.coalesce(func.sum(signed), 0))
                 .select_from(le.outerjoin(target, target.c.id == le.c.reverses_id))
                 .where(le.c.debt_id.in_(list(debt_ids))).group_by(le.c.debt_id))
        return {int(d): int(total) for d, total in self.conn.execute(query)}

    def save_case_moves(self, moves: Sequence[tuple[DebtRow, StatusChange]], actor: str) -> None:
        for debt, change in moves:
            done = self.conn.execute(
                update(debts).where(and_(debts.c.id == debt.id, debts.c.version == debt.version))
                .values(status=str(change.to_status), status_changed_at=change.at, updated_at=change.at,
                        version=debts.c.version + 1))
            if done.rowcount != 1:
                raise Conflict(f"debt {debt.id} changed meanwhile; retry", field="debt_id")
            debt.status, debt.version = change.to_status, debt.version + 1
        if moves:
            self.conn.execute(insert(case_status_changes), [
                {"debt_id": d.id, "from_status": str(c.from_status), "to_status": str(c.to_status), "at": c.at,
                 "reason": c.reason[:200], "actor": actor[:100]} for d, c in moves])

    def post_entries(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        if not rows:
            return []
        result = self.conn.execute(
            insert(ledger_entries).returning(ledger_entries.c.id, sort_by_parameter_order=True), list(rows))
        return [int(r[0]) for r in result]

    def customer_flags(self, customer_id: int) -> set[str]:
        flags = self.conn.execute(select(customers.c.flags).where(customers.c.id == customer_id)).scalar()
        if flags is None:
            raise NotFound(f"customer {customer_id} does not exist", field="customer_id")
        return {f for f in flags.split(",") if f}


def _payment(row: Any, allocations: list[tuple[int, int, int]]) -> PaymentRecord:
    return PaymentRecord(int(row.id), int(row.customer_id), int(row.amount_minor), row.currency, row.received_at,
                         row.method, row.reference, row.idempotency_key, row.status, int(row.credit_minor),
                         allocations)


@implements(PaymentStore)
class SqlPaymentStore(PaymentStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def _load(self, where: Any) -> PaymentRecord | None:
        row = self.conn.execute(select(payments).where(where)).first()
        if row is None:
            return None
        pa = payment_allocations
        allocs = [(int(a.debt_id), int(a.ledger_entry_id), int(a.amount_minor)) for a in self.conn.execute(
            select(pa.c.debt_id, pa.c.ledger_entry_id, pa.c.amount_minor).where(pa.c.payment_id == row.id)
            .order_by(pa.c.id))]
        return _payment(row, allocs)

    def by_key(self, idempotency_key: str) -> PaymentRecord | None:
        return self._load(payments.c.idempotency_key == idempotency_key)

    def get(self, payment_id: int) -> PaymentRecord:
        found = self._load(payments.c.id == payment_id)
        if found is None:
            raise NotFound(f"payment {payment_id} does not exist", field="payment_id")
        return found

    def add(self, record: PaymentRecord, *, source: str, instructed: bool, created_at: datetime) -> int:
        result = self.conn.execute(insert(payments).values(
            customer_id=record.customer_id, amount_minor=record.amount_minor, currency=record.currency,
            received_at=record.received_at, method=record.method, reference=record.reference[:200],
            idempotency_key=record.idempotency_key, status=record.status, credit_minor=record.credit_minor,
            source=source, instructed=instructed, created_at=created_at))
        return int(result.inserted_primary_key[0])

    def add_allocations(self, payment_id: int, rows: Sequence[tuple[int, int, int]], effective_date: date) -> None:
        if rows:
            self.conn.execute(insert(payment_allocations), [
                {"payment_id": payment_id, "debt_id": d, "ledger_entry_id": e, "amount_minor": a,
                 "effective_date": effective_date} for d, e, a in rows])

    def mark_reversed(self, payment_id: int, at: datetime, reason: str) -> None:
        self.conn.execute(update(payments).where(payments.c.id == payment_id)
                          .values(status="reversed", reversed_at=at, reversal_reason=reason))

    def webhook_seen(self, event_id: str) -> bool:
        found = self.conn.execute(select(payment_webhook_events.c.id)
                                  .where(payment_webhook_events.c.event_id == event_id)).first()
        return found is not None

    def remember_webhook(self, event_id: str, type_: str, payment_id: int | None, at: datetime) -> bool:
        result = self.conn.execute(insert_ignore(self.conn, payment_webhook_events).values(
            event_id=event_id, type=type_[:100], payment_id=payment_id, received_at=at)
            .returning(payment_webhook_events.c.id))
        return result.first() is not None  # rowcount is -1 with RETURNING on psycopg


@implements(OutboxStore)
class SqlOutboxStore(OutboxStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def pending(self, customer_id: int) -> list[OutboxRow]:
        ob = outbox_messages
        rows = self.conn.execute(select(ob.c.id, ob.c.debt_ids, ob.c.channel, ob.c.template_id, ob.c.source)
                                 .where(and_(ob.c.customer_id == customer_id, ob.c.status == "pending")))
        return [OutboxRow(int(r.id), [int(x) for x in json.loads(r.debt_ids or "[]")], r.channel, r.template_id,
                          r.source) for r in rows]

    def cancel(self, ids: Sequence[int], reason: str) -> None:
        ob = outbox_messages
        self.conn.execute(update(ob).where(and_(ob.c.id.in_(list(ids)), ob.c.status == "pending"))
                          .values(status="cancelled", last_error=reason[:1000]))

    def _channel_and_language(self, customer_id: int) -> tuple[str | None, str]:
        ce, cp = customer_emails, customer_phones
        has_email = (select(func.count()).select_from(ce).where(and_(
            ce.c.customer_id == customer_id, ce.c.opted_out.is_(False), ce.c.bounced.is_(False))).scalar_subquery())
        has_mobile = (select(func.count()).select_from(cp).where(and_(
            cp.c.customer_id == customer_id, cp.c.opted_out.is_(False), cp.c.type == "mobile",
            cp.c.wrong_number.is_(False))).scalar_subquery())
        row = self.conn.execute(select(customers.c.preferred_language, has_email, has_mobile)
                                .where(customers.c.id == customer_id)).first()
        if row is None:
            return None, "en"
        channel = "email" if row[1] else "sms" if row[2] else None
        return channel, row[0] or "en"

    def queue(self, *, message_key: str, customer_id: int, debt_ids: Sequence[int], template_id: str,
              payload: Mapping[str, Any], at: datetime, channel: str | None = None) -> bool:
        found, language = self._channel_and_language(customer_id)
        channel = channel or found
        if channel is None:
            return False
        result = self.conn.execute(insert_ignore(self.conn, outbox_messages).values(
            message_key=message_key, customer_id=customer_id, debt_ids=json.dumps(list(debt_ids)), channel=channel,
            template_id=template_id, language=language, scheduled_at=at, status="pending", source="payment",
            payload=json.dumps(dict(payload), default=str), created_at=at).returning(outbox_messages.c.id))
        return result.first() is not None


_AGGREGATES = (("Payment", "payment"), ("Promise", "promise"), ("Settlement", "settlement"), ("Plan", "plan"),
               ("Instalment", "plan"), ("BreathingSpace", "hardship"))


def event_row(event: object, actor: str, at: datetime) -> dict[str, Any]:
    """An arrangement_events row from a past-tense domain event dataclass."""
    name = type(event).__name__
    data = dataclasses.asdict(event)  # type: ignore[call-overload]
    aggregate = next((agg for prefix, agg in _AGGREGATES if name.startswith(prefix)), "arrangement")
    agg_id = next((v for k, v in data.items() if k.endswith("_id") and k != "customer_id" and v is not None), 0)
    payload = {k: v for k, v in data.items() if k != "at"}
    return {"event_type": name, "aggregate": aggregate, "aggregate_id": int(agg_id),
            "customer_id": data.get("customer_id"), "actor": actor[:100], "at": data.get("at") or at,
            "payload": json.dumps(payload, default=str, sort_keys=True)}


@implements(EventStore)
class SqlEventStore(EventStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def record(self, events: Iterable[object], *, actor: str, at: datetime) -> None:
        self.record_rows([event_row(e, actor, at) for e in events])

    def record_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(arrangement_events), [dict(r) for r in rows])


"""SQL repositories for payments: debts locking and balances, cases, payments, outbox and events.

Locking: `lock_debts` takes every debt row of the customer in id order (`SELECT ... FOR UPDATE` on
PostgreSQL; on SQLite it opens the transaction with `BEGIN IMMEDIATE`, the single-writer lock), so two
payments for one customer never allocate from the same balance, and the fixed order avoids deadlocks.
Balances are read after the lock, in a new statement, so they include every committed entry.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from cupx.adapters.bulk import bulk_insert
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
from cupx.adapters.tables.payments import (
    arrangement_events,
    payment_allocations,
    payment_plans,
    payment_webhook_events,
    payments,
)
from cupx.adapters.types import UtcDateTime
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


@functools.cache
def _insert_payment(dialect: str) -> Any:
    ins = postgresql.insert(payments) if dialect == "postgresql" else sqlite.insert(payments)
    return ins.on_conflict_do_nothing().returning(payments.c.id)


def _debt_row(r: Any) -> DebtRow:
    return DebtRow(int(r.id), int(r.customer_id), r.currency, CaseStatus(r.status), int(r.version), r.age_key)


_DEBT_COLS = (debts.c.id, debts.c.customer_id, debts.c.currency, debts.c.status, debts.c.version,
              func.coalesce(debts.c.charge_off_date, debts.c.opened_on).label("age_key"))

# Hot-path statements are built once with bind parameters: SQLAlchemy then reuses their compiled form,
# which costs a few milliseconds of CPU per statement when a statement is rebuilt on every call.
_CUSTOMER_OF = select(debts.c.customer_id).where(debts.c.id == bindparam("debt_id"))
_DEBTS_OF = select(*_DEBT_COLS).where(debts.c.customer_id == bindparam("customer_id")).order_by(debts.c.id)
_DEBTS_OF_LOCKED = _DEBTS_OF.with_for_update()
_DEBTS_BY_ID = select(*_DEBT_COLS).where(debts.c.id.in_(bindparam("ids", expanding=True)))


def _balance_select() -> Any:
    le, target = ledger_entries, aliased(ledger_entries)
    signed = case(
        (le.c.kind.in_(("payment", "write_off")), -le.c.amount_minor),
        (le.c.kind == "reversal",
         case((target.c.kind.in_(("payment", "write_off")), target.c.amount_minor), else_=-target.c.amount_minor)),
        else_=le.c.amount_minor,
    )
    return (select(le.c.debt_id.label("debt_id"), func.coalesce(func.sum(signed), 0).label("total"))
            .select_from(le.outerjoin(target, target.c.id == le.c.reverses_id))
            .where(le.c.debt_id.in_(bindparam("ids", expanding=True))).group_by(le.c.debt_id))


_BALANCES = _balance_select()
# The customer's active-plan count rides along under the impossible debt id -1 (one round trip).
_BALANCES_AND_PLANS = union_all(_balance_select(), select(literal(-1).label("debt_id"), func.count().label("total"))
                                .select_from(payment_plans).where(and_(
                                    payment_plans.c.customer_id == bindparam("customer_id"),
                                    payment_plans.c.status == "active")))
_MOVE_CASE = (update(debts).where(and_(debts.c.id == bindparam("b_id"), debts.c.version == bindparam("b_version")))
              .values(status=bindparam("b_status"), status_changed_at=bindparam("b_at"), updated_at=bindparam("b_at"),
                      version=debts.c.version + 1))
_INSERT_ENTRIES = insert(ledger_entries).returning(ledger_entries.c.id, sort_by_parameter_order=True)
_PG_POST_ALLOCATIONS = text("""
WITH entries AS (
    INSERT INTO ledger_entries (debt_id, kind, amount_minor, currency, effective_date, posted_at, source,
                                idempotency_key, memo)
    SELECT t.debt_id, 'payment', t.amount, :cur, :eff, :posted, 'payment',
           'payment:' || CAST(:pid AS text) || ':' || CAST(t.debt_id AS text), :memo
    FROM unnest(CAST(:debts AS bigint[]), CAST(:amounts AS bigint[])) AS t(debt_id, amount)
    RETURNING id, debt_id, amount_minor
)
INSERT INTO payment_allocations (payment_id, debt_id, ledger_entry_id, amount_minor, effective_date)
SELECT :pid, debt_id, id, amount_minor, :eff FROM entries
""").bindparams(bindparam("posted", type_=UtcDateTime), bindparam("eff", type_=Date))


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
            found = self.conn.execute(_CUSTOMER_OF, {"debt_id": debt_id}).scalar()
            if found is None:
                raise NotFound(f"debt {debt_id} does not exist", field="debt_id")
            customer_id = int(found)
        query = _DEBTS_OF_LOCKED if self.conn.dialect.name == "postgresql" else _DEBTS_OF
        rows = [_debt_row(r) for r in self.conn.execute(query, {"customer_id": customer_id})]
        if not rows:
            raise NotFound(f"customer {customer_id} has no debts", field="customer_id")
        return rows

    def debts(self, debt_ids: Iterable[int]) -> list[DebtRow]:
        return [_debt_row(r) for r in self.conn.execute(_DEBTS_BY_ID, {"ids": list(debt_ids)})]

    def balances(self, debt_ids: Sequence[int]) -> dict[int, int]:
        if not debt_ids:
            return {}
        return {int(d): int(total) for d, total in self.conn.execute(_BALANCES, {"ids": list(debt_ids)})}

    def balances_and_plans(self, customer_id: int, debt_ids: Sequence[int]) -> tuple[dict[int, int], int]:
        rows = self.conn.execute(_BALANCES_AND_PLANS, {"ids": list(debt_ids), "customer_id": customer_id}).all()
        balances = {int(d): int(t) for d, t in rows if d != -1}
        return balances, next((int(t) for d, t in rows if d == -1), 0)

    def save_case_moves(self, moves: Sequence[tuple[DebtRow, StatusChange]], actor: str) -> None:
        for debt, change in moves:
            done = self.conn.execute(_MOVE_CASE, {"b_id": debt.id, "b_version": debt.version,
                                                  "b_status": str(change.to_status), "b_at": change.at})
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
        return [int(r[0]) for r in self.conn.execute(_INSERT_ENTRIES, list(rows))]

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

    def add(self, record: PaymentRecord, *, source: str, instructed: bool, created_at: datetime) -> int | None:
        row = self.conn.execute(_insert_payment(self.conn.dialect.name), {
            "customer_id": record.customer_id, "amount_minor": record.amount_minor, "currency": record.currency,
            "received_at": record.received_at, "method": record.method, "reference": record.reference[:200],
            "idempotency_key": record.idempotency_key, "status": record.status, "credit_minor": record.credit_minor,
            "source": source, "instructed": instructed, "created_at": created_at}).first()
        return None if row is None else int(row[0])

    def post_allocations(self, payment_id: int, parts: Mapping[int, int], currency: str, effective_date: date,
                         posted_at: datetime, memo: str) -> None:
        if not parts:
            return
        if self.conn.dialect.name == "postgresql":
            # One round trip: the entries from two arrays, and their allocation rows from what they return.
            self.conn.execute(_PG_POST_ALLOCATIONS, {
                "pid": payment_id, "debts": list(parts), "amounts": list(parts.values()), "cur": currency,
                "eff": effective_date, "posted": posted_at, "memo": memo})
            return
        rows = [{"debt_id": debt_id, "kind": "payment", "amount_minor": amount, "currency": currency,
                 "effective_date": effective_date, "posted_at": posted_at, "source": "payment",
                 "idempotency_key": f"payment:{payment_id}:{debt_id}", "memo": memo}
                for debt_id, amount in parts.items()]
        ids = [int(r[0]) for r in self.conn.execute(_INSERT_ENTRIES, rows)]
        self.conn.execute(insert(payment_allocations), [
            {"payment_id": payment_id, "debt_id": r["debt_id"], "ledger_entry_id": i, "amount_minor": r["amount_minor"],
             "effective_date": effective_date} for r, i in zip(rows, ids, strict=True)])

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

    def queue(self, *, message_key: str, customer_id: int, debt_ids: Sequence[int], template_id: str,
              payload: Mapping[str, Any], at: datetime, channel: str | None = None) -> bool:
        params = {"q_key": message_key, "q_customer": customer_id, "q_debts": json.dumps(list(debt_ids)),
                  "q_template": template_id, "q_at": at, "q_payload": json.dumps(dict(payload), default=str),
                  "q_channel": channel}
        return self.conn.execute(_queue_statement(self.conn.dialect.name, channel is not None), params).first() \
            is not None


@functools.cache
def _queue_statement(dialect: str, explicit_channel: bool) -> Any:
    """INSERT ... SELECT: the channel (email if the customer has a usable one, else a mobile for SMS) and
    the language come from the customer's rows in the same statement; no usable channel inserts nothing."""
    ce, cp, cu = customer_emails.c, customer_phones.c, customers.c
    has_email = exists().where(and_(ce.customer_id == cu.id, ce.opted_out.is_(False), ce.bounced.is_(False)))
    has_mobile = exists().where(and_(cp.customer_id == cu.id, cp.opted_out.is_(False), cp.type == "mobile",
                                     cp.wrong_number.is_(False)))
    chosen = bindparam("q_channel", type_=String) if explicit_channel else \
        case((has_email, literal("email")), (has_mobile, literal("sms")))
    at = bindparam("q_at", type_=UtcDateTime)
    source = select(
        bindparam("q_key", type_=String), cu.id, bindparam("q_debts", type_=String), chosen,
        bindparam("q_template", type_=String), func.coalesce(cu.preferred_language, "en"), at, literal("pending"),
        literal("payment"), bindparam("q_payload", type_=String), at,
    ).where(and_(cu.id == bindparam("q_customer"), true() if explicit_channel else or_(has_email, has_mobile)))
    ob = outbox_messages
    ins = postgresql.insert(ob) if dialect == "postgresql" else sqlite.insert(ob)
    return ins.from_select(
        ["message_key", "customer_id", "debt_ids", "channel", "template_id", "language", "scheduled_at",
         "status", "source", "payload", "created_at"], source).on_conflict_do_nothing().returning(ob.c.id)


_AGGREGATES = (("Payment", "payment"), ("Promise", "promise"), ("Settlement", "settlement"), ("Plan", "plan"),
               ("Instalment", "plan"), ("BreathingSpace", "hardship"), ("Vulnerability", "customer"))


def event_row(event: object, actor: str, at: datetime) -> dict[str, Any]:
    """An arrangement_events row from a past-tense domain event dataclass."""
    name = type(event).__name__
    # A shallow read of the fields: asdict's deep copy is needlessly slow on the payment path.
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}  # type: ignore[arg-type]
    aggregate = next((agg for prefix, agg in _AGGREGATES if name.startswith(prefix)), "arrangement")
    agg_id = next((v for k, v in data.items() if k.endswith("_id") and k != "customer_id" and v is not None),
                  data.get("customer_id") or 0)
    payload = {k: v for k, v in data.items() if k != "at"}
    return {"event_type": name, "aggregate": aggregate, "aggregate_id": int(agg_id),
            "customer_id": data.get("customer_id"), "actor": actor[:100], "at": data.get("at") or at,
            "payload": json.dumps(payload, default=str, sort_keys=True)}


_INSERT_EVENT = insert(arrangement_events).inline()  # no RETURNING of the generated id: nobody reads it


@implements(EventStore)
class SqlEventStore(EventStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def record(self, events: Iterable[object], *, actor: str, at: datetime) -> None:
        self.record_rows([event_row(e, actor, at) for e in events])

    def record_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if len(rows) > 1_000:  # the nightly runs: COPY on PostgreSQL
            bulk_insert(self.conn, arrangement_events, [dict(r) for r in rows])
        elif len(rows) == 1:  # a posted payment: one row, without the executemany machinery
            self.conn.execute(_INSERT_EVENT, dict(rows[0]))
        elif rows:
            self.conn.execute(_INSERT_EVENT, [dict(r) for r in rows])


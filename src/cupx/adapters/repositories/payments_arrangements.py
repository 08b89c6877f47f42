"""SQL repositories for arrangements: promises, plans and instalments, I&E statements, hardship holds.

The nightly paths (`PromiseStore.pending_frame`/`payments_frame`/`apply_resolutions`, `PlanStore.with_overdue`)
read and write in a few set-based statements, never one query per account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, text, true, union, union_all, update

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.core import customers, debts
from cupx.adapters.tables.payments import (
    breathing_spaces,
    debt_reagings,
    ie_statements,
    payment_allocations,
    payment_plans,
    payments,
    plan_instalments,
    promises,
)
from cupx.adapters.types import UtcDateTime
from cupx.domain.errors import NotFound
from cupx.domain.hardship import BreathingSpace, HoldKind, HoldStatus
from cupx.domain.plans import Instalment, InstalmentStatus, Plan, PlanStatus
from cupx.services.payment_ports import HoldStore, PlanRecord, PlanStore, PromiseStore

__all__ = ["SqlHoldStore", "SqlPlanStore", "SqlPromiseStore"]


_PG_RESOLVE = text("""
UPDATE promises AS p
SET status = v.status, paid_minor = v.paid, resolved_at = :at,
    queue_status = CASE WHEN v.status = 'broken' THEN 'open' ELSE p.queue_status END
FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:paid AS bigint[])) AS v(id, status, paid)
WHERE p.id = v.id AND p.status = 'pending'
""").bindparams(bindparam("at", type_=UtcDateTime))


@implements(PromiseStore)
class SqlPromiseStore(PromiseStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def add(self, row: Mapping[str, Any]) -> int:
        return int(self.conn.execute(insert(promises).values(**row)).inserted_primary_key[0])

    def get(self, promise_id: int) -> dict[str, Any]:
        row = self.conn.execute(select(promises).where(promises.c.id == promise_id)).first()
        if row is None:
            raise NotFound(f"promise {promise_id} does not exist", field="promise_id")
        return dict(row._mapping)

    def list(self, *, customer_id: int | None = None, status: str | None = None,
             queue_status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        q = select(promises).order_by(promises.c.id.desc()).limit(limit)
        if customer_id is not None:
            q = q.where(promises.c.customer_id == customer_id)
        if status is not None:
            q = q.where(promises.c.status == status)
        if queue_status is not None:
            q = q.where(promises.c.queue_status == queue_status)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def pending_frame(self) -> pl.DataFrame:
        p = promises.c
        rows = self.conn.execute(select(p.id, p.customer_id, p.debt_id, p.amount_minor, p.promised_on, p.created_at)
                                 .where(p.status == "pending")).all()
        return pl.DataFrame(
            [(r[0], r[1], r[2], r[3], r[4], r[5].date()) for r in rows],
            schema={"id": pl.Int64, "customer_id": pl.Int64, "debt_id": pl.Int64, "amount_minor": pl.Int64,
                    "promised_on": pl.Date, "created_on": pl.Date}, orient="row")

    def payments_frame(self, as_of: date) -> pl.DataFrame:
        pr, pa, py = promises.c, payment_allocations.c, payments.c
        posted = and_(pr.status == "pending", py.status == "posted", pa.effective_date <= as_of)
        on_debt = (select(pr.id.label("promise_id"), pa.effective_date, pa.amount_minor)
                   .select_from(promises.join(payment_allocations, pa.debt_id == pr.debt_id)
                                .join(payments, py.id == pa.payment_id))
                   .where(and_(posted, pr.debt_id.is_not(None))))
        on_customer = (select(pr.id.label("promise_id"), pa.effective_date, pa.amount_minor)
                       .select_from(promises.join(payments, py.customer_id == pr.customer_id)
                                    .join(payment_allocations, pa.payment_id == py.id))
                       .where(and_(posted, pr.debt_id.is_(None))))
        rows = self.conn.execute(union_all(on_debt, on_customer)).all()
        return pl.DataFrame([tuple(r) for r in rows], orient="row",
                            schema={"promise_id": pl.Int64, "effective_date": pl.Date, "amount_minor": pl.Int64})

    def apply_resolutions(self, frame: pl.DataFrame, at: datetime) -> None:
        if frame.is_empty():
            return
        ids, statuses, paid = (frame[c].to_list() for c in ("id", "new_status", "paid_minor"))
        if self.conn.dialect.name == "postgresql":
            # One statement for any number of promises (an executemany of 50,000 updates takes seconds).
            self.conn.execute(_PG_RESOLVE, {"ids": ids, "statuses": statuses, "paid": paid, "at": at})
            return
        stmt = (update(promises).where(and_(promises.c.id == bindparam("pid"), promises.c.status == "pending"))
                .values(status=bindparam("new_status"), paid_minor=bindparam("paid"), resolved_at=bindparam("at"),
                        queue_status=bindparam("queue")))
        self.conn.execute(stmt, [{"pid": i, "new_status": s, "paid": p, "at": at,
                                  "queue": "open" if s == "broken" else None}
                                 for i, s, p in zip(ids, statuses, paid, strict=True)])

    def set_status(self, promise_id: int, status: str, at: datetime) -> None:
        self.conn.execute(update(promises).where(promises.c.id == promise_id).values(status=status, resolved_at=at))

    def work(self, promise_id: int, by: str, at: datetime) -> None:
        self.get(promise_id)
        self.conn.execute(update(promises).where(promises.c.id == promise_id)
                          .values(queue_status="worked", worked_at=at, worked_by=by[:100]))


def _instalment(r: Any) -> Instalment:
    return Instalment(int(r.seq), r.due_on, int(r.amount_minor), int(r.paid_minor), InstalmentStatus(r.status),
                      r.paid_on, int(r.id))


def _record(r: Any, instalments: list[Instalment]) -> PlanRecord:
    plan = Plan(int(r.customer_id), r.currency, r.frequency, instalments, r.kind, PlanStatus(r.status), int(r.id),
                None if r.debt_id is None else int(r.debt_id), int(r.consecutive_misses),
                int(r.consecutive_on_time), bool(r.reaged))
    return PlanRecord(plan, int(r.balance_minor), r.first_due_on, r.segment, bool(r.freeze_interest),
                      int(r.discount_bp), r.requested_by, r.requested_role, r.approved_by, r.created_at,
                      r.letter_path, r.statement_id)


_TERMINAL = {PlanStatus.COMPLETED, PlanStatus.BROKEN, PlanStatus.CANCELLED}


@implements(PlanStore)
class SqlPlanStore(PlanStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection
        self.data_dir = Path(runtime.settings.data_dir)

    def add(self, record: PlanRecord, at: datetime) -> int:
        plan = record.plan
        pid = int(self.conn.execute(insert(payment_plans).values(
            customer_id=plan.customer_id, debt_id=plan.debt_id, kind=str(plan.kind), status=str(plan.status),
            total_minor=plan.total_minor, balance_minor=record.balance_minor, currency=plan.currency,
            frequency=str(plan.frequency), first_due_on=record.first_due_on, instalment_count=len(plan.instalments),
            segment=record.segment, freeze_interest=record.freeze_interest, discount_bp=record.discount_bp,
            requested_by=record.requested_by[:100], requested_role=record.requested_role, created_at=at,
            updated_at=at, statement_id=record.statement_id)).inserted_primary_key[0])
        plan.id = pid
        self._insert_instalments(plan, plan.instalments)
        record.created_at = at
        return pid

    def _insert_instalments(self, plan: Plan, items: list[Instalment]) -> None:
        if not items:
            return
        result = self.conn.execute(
            insert(plan_instalments).returning(plan_instalments.c.id, sort_by_parameter_order=True),
            [{"plan_id": plan.id, "seq": i.seq, "due_on": i.due_on, "amount_minor": i.amount_minor,
              "paid_minor": i.paid_minor, "status": str(i.status), "paid_on": i.paid_on} for i in items])
        for inst, row in zip(items, result, strict=True):
            inst.id = int(row[0])

    def _load(self, where: Any, lock: bool = False, limit: int | None = None) -> list[PlanRecord]:
        q = select(payment_plans).where(where).order_by(payment_plans.c.id.desc())
        if limit:
            q = q.limit(limit)
        if lock and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        rows = self.conn.execute(q).all()
        if not rows:
            return []
        by_plan: dict[int, list[Instalment]] = {int(r.id): [] for r in rows}
        pi = plan_instalments
        for r in self.conn.execute(select(pi).where(pi.c.plan_id.in_(list(by_plan))).order_by(pi.c.plan_id, pi.c.seq)):
            by_plan[int(r.plan_id)].append(_instalment(r))
        return [_record(r, by_plan[int(r.id)]) for r in rows]

    def get(self, plan_id: int, *, lock: bool = False) -> PlanRecord:
        found = self._load(payment_plans.c.id == plan_id, lock)
        if not found:
            raise NotFound(f"plan {plan_id} does not exist", field="plan_id")
        return found[0]

    def save(self, plan: Plan, at: datetime, *, end_reason: str | None = None, approved_by: str | None = None,
             letter_path: str | None = None) -> None:
        values: dict[str, Any] = {
            "status": str(plan.status), "consecutive_misses": plan.consecutive_misses,
            "consecutive_on_time": plan.consecutive_on_time, "reaged": plan.reaged, "updated_at": at,
            "instalment_count": len(plan.instalments), "version": payment_plans.c.version + 1}
        if plan.status in _TERMINAL:
            values.update(ended_at=at, end_reason=(end_reason or str(plan.status))[:200])
        if approved_by is not None:
            values.update(approved_by=approved_by[:100], approved_at=at)
        if letter_path is not None:
            values["letter_path"] = letter_path
        self.conn.execute(update(payment_plans).where(payment_plans.c.id == plan.id).values(**values))
        existing = [i for i in plan.instalments if i.id is not None]
        if existing:
            pi = plan_instalments
            self.conn.execute(update(pi).where(pi.c.id == bindparam("iid")).values(
                amount_minor=bindparam("amount"), paid_minor=bindparam("paid"), status=bindparam("st"),
                paid_on=bindparam("pon"), due_on=bindparam("due")), [
                    {"iid": i.id, "amount": i.amount_minor, "paid": i.paid_minor, "st": str(i.status),
                     "pon": i.paid_on, "due": i.due_on} for i in existing])
        self._insert_instalments(plan, [i for i in plan.instalments if i.id is None])

    def open_for_customer(self, customer_id: int) -> list[PlanRecord]:
        pp = payment_plans.c
        return self._load(and_(pp.customer_id == customer_id, pp.status == "active"))

    def list(self, *, customer_id: int | None = None, status: str | None = None, kind: str | None = None,
             limit: int = 200) -> list[PlanRecord]:
        pp = payment_plans.c
        conds = [c for c in (customer_id is not None and pp.customer_id == customer_id,
                             status is not None and pp.status == status,
                             kind is not None and pp.kind == kind) if c is not False]
        return self._load(and_(true(), *conds), limit=limit)

    def count_since(self, customer_id: int, since: datetime) -> int:
        pp = payment_plans.c
        return int(self.conn.execute(select(func.count()).where(and_(
            pp.customer_id == customer_id, pp.created_at >= since, pp.kind == "plan",
            pp.status.not_in(("cancelled", "proposed"))))).scalar() or 0)

    def with_overdue(self, as_of: date) -> list[PlanRecord]:
        pi, pp = plan_instalments.c, payment_plans.c
        ids = select(pi.plan_id).join(payment_plans, pp.id == pi.plan_id).where(and_(
            pp.status == "active", pi.status.in_(("due", "deferred")), pi.due_on < as_of,
            pi.paid_minor < pi.amount_minor)).distinct()
        return self._load(pp.id.in_(ids))

    def add_statement(self, customer_id: int, currency: str, income: int, expenditure: int,
                      lines: Mapping[str, int], taken_by: str, taken_on: date, at: datetime) -> int:
        return int(self.conn.execute(insert(ie_statements).values(
            customer_id=customer_id, currency=currency, income_minor=income, expenditure_minor=expenditure,
            lines=json.dumps(dict(lines), sort_keys=True), taken_by=taken_by[:100], taken_on=taken_on,
            created_at=at)).inserted_primary_key[0])

    def statement(self, statement_id: int | None = None, *, customer_id: int | None = None) -> dict[str, Any] | None:
        ie = ie_statements.c
        where = ie.id == statement_id if statement_id is not None else ie.customer_id == customer_id
        row = self.conn.execute(select(ie_statements).where(where).order_by(ie.id.desc()).limit(1)).first()
        return None if row is None else dict(row._mapping) | {"lines": json.loads(row.lines)}

    def record_reaging(self, debt_id: int, plan_id: int, on: date, payments: int, at: datetime) -> None:
        self.conn.execute(insert(debt_reagings).values(debt_id=debt_id, plan_id=plan_id, reaged_on=on,
                                                       on_time_payments=payments, created_at=at))

    def write_letter(self, plan_id: int, pdf: bytes) -> str:
        folder = self.data_dir / "letters" / "settlements"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"settlement-{plan_id}.pdf"
        path.write_bytes(pdf)
        return str(path)


def _hold(r: Any) -> BreathingSpace:
    return BreathingSpace(int(r.customer_id), r.starts_on, r.ends_on, r.reason, HoldKind(r.kind),
                          None if r.debt_id is None else int(r.debt_id), int(r.id), HoldStatus(r.status))


@implements(HoldStore)
class SqlHoldStore(HoldStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def add(self, hold: BreathingSpace, created_by: str, at: datetime) -> int:
        return int(self.conn.execute(insert(breathing_spaces).values(
            customer_id=hold.customer_id, debt_id=hold.debt_id, kind=str(hold.kind), starts_on=hold.starts_on,
            ends_on=hold.ends_on, reason=hold.reason[:200], status=str(hold.status), created_by=created_by[:100],
            created_at=at)).inserted_primary_key[0])

    def active(self, customer_id: int, on: date) -> list[BreathingSpace]:
        b = breathing_spaces.c
        rows = self.conn.execute(select(breathing_spaces).where(and_(
            b.customer_id == customer_id, b.status == "active", b.starts_on <= on, b.ends_on >= on)))
        return [_hold(r) for r in rows]

    def expired(self, as_of: date) -> list[BreathingSpace]:
        b = breathing_spaces.c
        rows = self.conn.execute(select(breathing_spaces).where(and_(b.status == "active", b.ends_on < as_of))
                                 .order_by(b.id))
        return [_hold(r) for r in rows]

    def end(self, hold_id: int, at: datetime) -> None:
        self.conn.execute(update(breathing_spaces).where(breathing_spaces.c.id == hold_id)
                          .values(status="ended", ended_at=at))

    def paused_debt_ids(self, on: date, *, interest: bool = False) -> set[int]:
        b = breathing_spaces.c
        kinds = [str(k) for k in HoldKind if (k.pauses_interest if interest else k.pauses_contact)]
        active = and_(b.status == "active", b.starts_on <= on, b.ends_on >= on, b.kind.in_(kinds))
        q = select(debts.c.id).select_from(debts.join(breathing_spaces, debts.c.customer_id == b.customer_id)).where(
            and_(active, or_(b.debt_id.is_(None), b.debt_id == debts.c.id)))
        if interest:  # an active plan agreed with an interest and fee freeze also freezes its debts
            pp = payment_plans.c
            planned = debts.join(payment_plans, debts.c.customer_id == pp.customer_id)
            q = union(q, select(debts.c.id).select_from(planned)
                      .where(and_(pp.status == "active", pp.freeze_interest.is_(True),
                                  or_(pp.debt_id.is_(None), pp.debt_id == debts.c.id))))
        return {int(r[0]) for r in self.conn.execute(q)}

    def add_customer_flag(self, customer_id: int, flag: str) -> set[str]:
        current = self.conn.execute(select(customers.c.flags).where(customers.c.id == customer_id)).scalar()
        if current is None:
            raise NotFound(f"customer {customer_id} does not exist", field="customer_id")
        flags = {f for f in current.split(",") if f} | {flag}
        self.conn.execute(update(customers).where(customers.c.id == customer_id).values(flags=",".join(sorted(flags))))
        return flags

"""`SqlSimulationStore`: the simulator's reads (today's contacts, balances, what falls due) and its own
records (sim_runs, surveys). See cupx.services.simulation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, bindparam, case, func, insert, select, update

from cupx.adapters.bulk import bulk_insert
from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.comms import call_tasks
from cupx.adapters.tables.core import contact_events, customer_phones, customers, debts, ledger_entries
from cupx.adapters.tables.payments import payment_plans, plan_instalments, promises
from cupx.adapters.tables.sim import sim_runs, surveys
from cupx.services.simulation import SimRun, SimulationStore

__all__ = ["SqlSimulationStore"]

_OUTBOUND = {"call_placed": "call", "letter_sent": "letter", "email_sent": "email", "text_sent": "sms"}
_OPEN = ("resolved_paid", "resolved_settled", "written_off", "closed")


def _frame(conn: Connection, stmt: Any, schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([tuple(r) for r in conn.execute(stmt).all()], schema=schema, orient="row")


@implements(SimulationStore)
class SqlSimulationStore(SimulationStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection
        self.runtime = runtime

    def current_run(self) -> SimRun | None:
        r = self.conn.execute(select(sim_runs).order_by(sim_runs.c.id.desc()).limit(1)).first()
        return None if r is None else SimRun(r.id, r.seed, r.accounts, r.start_on, r.days_done)

    def add_run(self, seed: int, accounts: int, start_on: date, now: datetime) -> int:
        res = self.conn.execute(insert(sim_runs).values(seed=seed, accounts=accounts, start_on=start_on,
                                                        days_done=0, updated_at=now))
        return int(res.inserted_primary_key[0])

    def set_days_done(self, run_id: int, days_done: int, now: datetime) -> None:
        self.conn.execute(update(sim_runs).where(sim_runs.c.id == run_id).values(days_done=days_done,
                                                                                 updated_at=now))

    def customers(self) -> pl.DataFrame:
        return _frame(self.conn, select(customers.c.id, customers.c.external_id),
                      {"id": pl.Int64, "external_id": pl.Utf8})

    def outbound_contacts(self, start: datetime, end: datetime) -> pl.DataFrame:
        c = contact_events
        rank = case({"call_placed": 4, "letter_sent": 3, "email_sent": 2, "text_sent": 1}, value=c.c.type, else_=0)
        stmt = select(c.c.customer_id, func.max(rank)).where(
            and_(c.c.at >= start, c.c.at < end, c.c.type.in_(list(_OUTBOUND)),
                 (c.c.type != "call_placed") | c.c.right_party)).group_by(c.c.customer_id)
        raw = _frame(self.conn, stmt, {"customer_id": pl.Int64, "rank": pl.Int64})
        names = {4: "call", 3: "letter", 2: "email", 1: "sms"}
        return raw.select("customer_id", pl.col("rank").replace_strict(names, return_dtype=pl.Utf8).alias("channel"))

    def balances(self, customer_ids: list[int], on: date) -> pl.DataFrame:
        e = ledger_entries
        signed = case((e.c.kind.in_(("payment", "write_off")), -e.c.amount_minor),
                      (e.c.kind == "reversal", e.c.amount_minor), else_=e.c.amount_minor)
        stmt = (select(debts.c.customer_id, debts.c.currency, func.sum(signed))
                .join(e, e.c.debt_id == debts.c.id)
                .where(and_(debts.c.customer_id.in_(customer_ids), debts.c.status.not_in(_OPEN),
                            e.c.effective_date <= on))
                .group_by(debts.c.customer_id, debts.c.currency))
        return _frame(self.conn, stmt, {"customer_id": pl.Int64, "currency": pl.Utf8, "balance": pl.Int64})

    def due_dates(self) -> pl.DataFrame:
        stmt = select(debts.c.customer_id, debts.c.due_schedule).where(debts.c.status.not_in(_OPEN))
        raw = _frame(self.conn, stmt, {"customer_id": pl.Int64, "due_schedule": pl.Utf8})
        return raw.select("customer_id", pl.col("due_schedule").str.json_decode(pl.List(pl.List(pl.Utf8)))
                          .alias("s")).explode("s").drop_nulls("s").select(
            "customer_id", pl.col("s").list.first().str.to_date().alias("due_on")).unique()

    def due_promises(self, on: date) -> pl.DataFrame:
        p = promises
        stmt = select(p.c.id, p.c.customer_id, p.c.amount_minor, p.c.currency).where(
            and_(p.c.status == "pending", p.c.promised_on == on))
        return _frame(self.conn, stmt, {"id": pl.Int64, "customer_id": pl.Int64, "amount_minor": pl.Int64,
                                        "currency": pl.Utf8})

    def due_instalments(self, on: date) -> pl.DataFrame:
        i, pl_ = plan_instalments, payment_plans
        stmt = (select(i.c.plan_id, pl_.c.customer_id, i.c.amount_minor - i.c.paid_minor, pl_.c.currency)
                .join(pl_, pl_.c.id == i.c.plan_id)
                .where(and_(i.c.due_on == on, i.c.status == "due", pl_.c.status == "active")))
        return _frame(self.conn, stmt, {"plan_id": pl.Int64, "customer_id": pl.Int64, "amount_minor": pl.Int64,
                                        "currency": pl.Utf8})

    def mobile_numbers(self, customer_ids: list[int]) -> dict[int, str]:
        ph = customer_phones
        rows = self.conn.execute(select(ph.c.customer_id, ph.c.number_enc).where(
            and_(ph.c.customer_id.in_(customer_ids), ph.c.type == "mobile"))).all()
        return {int(cid): self.runtime.cipher.decrypt(enc) for cid, enc in rows}

    def add_surveys(self, rows: pl.DataFrame) -> int:
        return bulk_insert(self.conn, surveys, rows)

    def open_call_tasks(self, until: datetime) -> pl.DataFrame:
        t = call_tasks
        stmt = select(t.c.id, t.c.customer_id, t.c.debt_ids, t.c.due_at).where(
            and_(t.c.status == "open", t.c.kind == "call", t.c.due_at <= until)).order_by(t.c.due_at, t.c.id)
        return _frame(self.conn, stmt, {"id": pl.Int64, "customer_id": pl.Int64, "debt_ids": pl.Utf8,
                                        "due_at": pl.Datetime("us", "UTC")})

    def finish_calls(self, calls: pl.DataFrame, agent: str) -> int:
        if calls.is_empty():
            return 0
        events = calls.select(
            "customer_id", pl.col("debt_ids").str.json_decode(pl.List(pl.Int64)).list.first().alias("debt_id"),
            "debt_ids", pl.lit("call_placed").alias("type"), pl.lit("call").alias("channel"), "at", "outcome",
            "right_party", pl.concat_str([pl.lit('{"task_id": '), pl.col("task_id").cast(pl.Utf8),
                                        pl.lit(f', "agent": "{agent}"}}')]).alias("payload"))
        bulk_insert(self.conn, contact_events, events)
        self.conn.execute(update(call_tasks).where(call_tasks.c.id == bindparam("tid")).values(
            status="done", outcome=bindparam("oc"), completed_at=bindparam("at_"), assigned_to=agent),
            [{"tid": r[0], "oc": r[1], "at_": r[2]} for r in calls.select("task_id", "outcome", "at").iter_rows()])
        return calls.height

"""`SqlKpiSource`: the frames behind the KPIs, read with Core selects (no writes).

Segment, strategy and arm of a customer come from the payload of their latest cycle outbox row
(contract C5); compliance blocks from blocked outbox rows and blocked cycle decisions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.comms import status_literal
from cupx.adapters.tables.core import contact_events, debts, ledger_entries, outbox_messages
from cupx.adapters.tables.cycle import cycle_decisions
from cupx.adapters.tables.payments import payments, promises
from cupx.adapters.tables.sim import sim_runs, surveys
from cupx.services.kpis import KpiSource
from cupx.strategy.vocabulary import Reason

__all__ = ["SqlKpiSource"]

_ADD = ("charge", "fee", "interest")
_CYCLE_CODES = [str(r) for r in Reason] + ["GROUPED"]  # the cycle's own reasons are not compliance blocks
_SUB = ("payment", "write_off")


def _frame(conn: Connection, stmt: Any, schema: dict[str, Any]) -> pl.DataFrame:
    rows = conn.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


@implements(KpiSource)
class SqlKpiSource(KpiSource):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection
        self.runtime = runtime

    def period_bounds(self) -> tuple[date, date]:
        run = self.conn.execute(select(sim_runs.c.start_on, sim_runs.c.days_done)
                                .order_by(sim_runs.c.id.desc()).limit(1)).first()
        if run is not None and run.days_done > 0:
            return run.start_on, run.start_on + timedelta(days=run.days_done - 1)
        hi = self.conn.execute(select(func.max(ledger_entries.c.effective_date))).scalar()
        hi = hi or datetime.now(UTC).date()  # an empty database: an empty period ending today
        return hi - timedelta(days=29), hi  # the last 30 days of the ledger

    def debts(self) -> pl.DataFrame:
        return _frame(self.conn, select(debts.c.id, debts.c.customer_id, debts.c.product, debts.c.currency,
                                        debts.c.due_schedule, debts.c.status),
                      {"id": pl.Int64, "customer_id": pl.Int64, "product": pl.Utf8, "currency": pl.Utf8,
                       "due_schedule": pl.Utf8, "status": pl.Utf8})

    def ledger(self) -> pl.DataFrame:
        e, t = ledger_entries, aliased(ledger_entries)
        stmt = select(e.c.debt_id, e.c.effective_date, e.c.kind, e.c.amount_minor, t.c.kind).select_from(
            e.outerjoin(t, e.c.reverses_id == t.c.id))
        raw = _frame(self.conn, stmt, {"debt_id": pl.Int64, "effective_date": pl.Date, "kind": pl.Utf8,
                                       "amount_minor": pl.Int64, "target_kind": pl.Utf8})
        sign = (pl.when(pl.col("kind").is_in(_ADD)).then(1).when(pl.col("kind").is_in(_SUB)).then(-1)
                .when(pl.col("kind") == "reversal").then(
                    pl.when(pl.col("target_kind").is_in(_SUB)).then(1).otherwise(-1)).otherwise(1))
        is_payment = (pl.col("kind") == "payment") | ((pl.col("kind") == "reversal")
                                                       & (pl.col("target_kind") == "payment"))
        return raw.select("debt_id", "effective_date", (sign * pl.col("amount_minor")).alias("signed_minor"),
                          is_payment.alias("is_payment"))

    def payments(self, start: datetime, end: datetime) -> pl.DataFrame:
        stmt = select(payments.c.customer_id, payments.c.amount_minor, payments.c.currency,
                      payments.c.received_at).where(
            and_(payments.c.status == "posted", payments.c.received_at.between(start, end)))
        raw = _frame(self.conn, stmt, {"customer_id": pl.Int64, "amount_minor": pl.Int64, "currency": pl.Utf8,
                                       "at": pl.Datetime("us", "UTC")})
        return raw.with_columns(pl.col("at").dt.date().alias("day")).drop("at")

    def promises(self, start: datetime, end: datetime) -> pl.DataFrame:
        stmt = select(promises.c.customer_id, promises.c.status).where(
            promises.c.resolved_at.between(start, end))
        return _frame(self.conn, stmt, {"customer_id": pl.Int64, "status": pl.Utf8})

    def contacts(self, start: datetime, end: datetime) -> pl.DataFrame:
        c = contact_events
        stmt = select(c.c.customer_id, c.c.type, c.c.channel, c.c.right_party, c.c.at).where(
            c.c.at.between(start, end))
        raw = _frame(self.conn, stmt, {"customer_id": pl.Int64, "type": pl.Utf8, "channel": pl.Utf8,
                                       "right_party": pl.Boolean, "at": pl.Datetime("us", "UTC")})
        return raw.with_columns(pl.col("at").dt.date().alias("day")).drop("at")

    def assignments(self, end: datetime) -> pl.DataFrame:
        o = outbox_messages
        latest = select(o.c.customer_id, func.max(o.c.id).label("id")).where(
            and_(o.c.created_at <= end, o.c.source == "cycle")).group_by(o.c.customer_id).subquery()
        stmt = select(o.c.customer_id, o.c.payload).join(latest, o.c.id == latest.c.id)
        raw = _frame(self.conn, stmt, {"customer_id": pl.Int64, "payload": pl.Utf8})
        dtype = pl.Struct({"segment": pl.Utf8, "strategy_id": pl.Utf8, "arm": pl.Utf8})
        return raw.select("customer_id", pl.col("payload").str.json_decode(dtype).alias("p")).select(
            "customer_id", pl.col("p").struct.field("segment").alias("segment"),
            pl.col("p").struct.field("strategy_id").alias("strategy"), pl.col("p").struct.field("arm").alias("arm"))

    def blocks(self, start: datetime, end: datetime) -> pl.DataFrame:
        """One row per (blocked contact, reason code): dispatcher blocks ("guard: CODE,CODE") and cycle
        decisions of kind blocked (their compliance codes; the cycle's own vocabulary is left out)."""
        o = outbox_messages
        stmt = select(o.c.customer_id, func.coalesce(o.c.last_error, "UNSPECIFIED")).where(
            and_(o.c.status == status_literal("blocked"), o.c.created_at.between(start, end)))
        raw = _frame(self.conn, stmt, {"customer_id": pl.Int64, "reason": pl.Utf8})
        d = cycle_decisions
        stmt = select(d.c.customer_id, d.c.reason_codes).where(
            and_(d.c.decision == "blocked", d.c.created_at.between(start, end)))
        raw = pl.concat([raw, _frame(self.conn, stmt, {"customer_id": pl.Int64, "reason": pl.Utf8})])
        codes = raw.with_columns(pl.col("reason").str.replace(r"^guard:\s*", "").str.split(",")).explode("reason")
        return codes.with_columns(pl.col("reason").str.strip_chars()).filter(
            (pl.col("reason") != "") & ~pl.col("reason").is_in(_CYCLE_CODES))

    def surveys(self, start: datetime, end: datetime) -> pl.DataFrame:
        stmt = select(surveys.c.customer_id, surveys.c.score).where(surveys.c.answered_at.between(start, end))
        return _frame(self.conn, stmt, {"customer_id": pl.Int64, "score": pl.Int64})

"""Normalising input tables: every table a feature reads comes through `table(...)`.

A missing table is an empty frame with the expected schema; columns are cast to the expected types;
instants become UTC-aware datetimes (SQLite hands back naive ones, which are UTC by CU-PX convention).
Pure Polars; `tables` are lazy frames keyed by table name with the database column names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import polars as pl

__all__ = ["SCHEMAS", "cutoff_instant", "month_index", "month_start", "table"]

UTC_DT = pl.Datetime("us", "UTC")

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "debts": {"id": pl.Int64(), "customer_id": pl.Int64(), "original_minor": pl.Int64(), "opened_on": pl.Date(),
              "charge_off_date": pl.Date(), "status": pl.String()},
    "ledger_entries": {"id": pl.Int64(), "debt_id": pl.Int64(), "kind": pl.String(), "amount_minor": pl.Int64(),
                       "effective_date": pl.Date(), "posted_at": UTC_DT, "reverses_id": pl.Int64()},
    "contact_events": {"customer_id": pl.Int64(), "debt_id": pl.Int64(), "type": pl.String(),
                       "channel": pl.String(), "at": UTC_DT, "outcome": pl.String(), "right_party": pl.Boolean()},
    "promises": {"customer_id": pl.Int64(), "debt_id": pl.Int64(), "amount_minor": pl.Int64(),
                 "promised_on": pl.Date(), "status": pl.String(), "created_at": UTC_DT, "resolved_at": UTC_DT},
    "statements": {"debt_id": pl.Int64(), "period": pl.Date(), "billed_minor": pl.Int64(),
                   "paid_minor": pl.Int64(), "months_late": pl.Int64(), "credit_limit_minor": pl.Int64()},
}


def _cast(name: str, dtype: pl.DataType, have: pl.DataType | None) -> pl.Expr:
    if have is None:
        return pl.lit(None, dtype=dtype).alias(name)
    col = pl.col(name)
    if isinstance(have, pl.Null):
        return col.cast(dtype).alias(name)
    if isinstance(dtype, pl.Datetime):
        if isinstance(have, pl.Datetime):
            col = col.dt.replace_time_zone("UTC") if have.time_zone is None else col.dt.convert_time_zone("UTC")
            return col.cast(dtype).alias(name)
        return col.str.to_datetime(time_zone="UTC").cast(dtype).alias(name)
    if isinstance(dtype, pl.Date) and isinstance(have, pl.String):
        return col.str.to_date().alias(name)
    return col.cast(dtype).alias(name)


def table(tables: dict[str, pl.LazyFrame], name: str) -> pl.LazyFrame:
    """Table `name` with exactly the columns of `SCHEMAS[name]`, typed; empty when absent."""
    schema = SCHEMAS[name]
    frame = tables.get(name)
    if frame is None:
        return pl.LazyFrame(schema=schema)
    have = dict(frame.collect_schema())
    return frame.select([_cast(n, dt, have.get(n)) for n, dt in schema.items()])


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_index(col: pl.Expr) -> pl.Expr:
    """Months since year 0 of a date column: differences give whole months between periods."""
    return col.dt.year().cast(pl.Int32) * 12 + col.dt.month().cast(pl.Int32)


def cutoff_instant(as_of: date) -> datetime:
    """The first instant after day `as_of` (UTC): an event is known as of `as_of` when it is before it."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)

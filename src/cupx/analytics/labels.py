"""The training label: does the account pay or cure within 30 days of `as_of`?

label = 1 (pays or cures) when any of these holds, else 0:
- a payment entry is effective in (as_of, as_of + 30 days];
- the balance, positive at as_of, is at or below zero at as_of + 30 days (cured);
- the statement of the month under way at as_of (period = first day of as_of's month, which closes
  within about 30 days) shows the account not late (months_late <= 0).
Accounts are labelled when they owe something at as_of (positive ledger balance) or have that
statement. Labels read the future by design; features never do (they stop at as_of), so the label
window is always after every feature month.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from cupx.analytics.features import ENGINE
from cupx.analytics.frames import month_start, table

__all__ = ["HORIZON_DAYS", "build_labels"]

HORIZON_DAYS = 30


def _balance(le: pl.LazyFrame, day: date, name: str) -> pl.LazyFrame:
    targets = le.select(pl.col("id").alias("reverses_id"), pl.col("kind").alias("tk"),
                        pl.col("amount_minor").alias("ta"))
    kind, amt = pl.col("kind"), pl.col("amount_minor")
    t_signed = pl.when(pl.col("tk").is_in(["payment", "write_off"])).then(-pl.col("ta")).otherwise(pl.col("ta"))
    signed = (pl.when(kind.is_in(["charge", "fee", "interest", "adjustment"])).then(amt)
              .when(kind.is_in(["payment", "write_off"])).then(-amt)
              .when(kind == "reversal").then(-t_signed).otherwise(0))
    return (le.filter(pl.col("effective_date") <= day).join(targets, on="reverses_id", how="left")
            .group_by("debt_id").agg(signed.sum().alias(name)))


def build_labels(tables: dict[str, pl.LazyFrame], as_of: date, horizon_days: int = HORIZON_DAYS) -> pl.DataFrame:
    """debt_id, label (1 pays or cures within `horizon_days`, 0 not) for the labelled accounts."""
    end = as_of + timedelta(days=horizon_days)
    le = table(tables, "ledger_entries")
    paid = (le.filter((pl.col("kind") == "payment") & (pl.col("effective_date") > as_of)
                      & (pl.col("effective_date") <= end))
            .group_by("debt_id").agg(pl.len().alias("payments")))
    stmt = (table(tables, "statements").filter(pl.col("period") == month_start(as_of))
            .group_by("debt_id").agg((pl.col("months_late").max() <= 0).alias("stmt_ok")))
    debts = table(tables, "debts").select(pl.col("id").alias("debt_id"))
    frame = (debts.join(_balance(le, as_of, "bal_now"), on="debt_id", how="left")
             .join(_balance(le, end, "bal_end"), on="debt_id", how="left")
             .join(paid, on="debt_id", how="left").join(stmt, on="debt_id", how="left")
             .filter((pl.col("bal_now").fill_null(0) > 0) | pl.col("stmt_ok").is_not_null()))
    pays = ((pl.col("payments").fill_null(0) > 0)
            | ((pl.col("bal_now").fill_null(0) > 0) & (pl.col("bal_end").fill_null(0) <= 0))
            | pl.col("stmt_ok").fill_null(False))
    return frame.select("debt_id", pays.cast(pl.Int8).alias("label")).sort("debt_id").collect(engine=ENGINE)

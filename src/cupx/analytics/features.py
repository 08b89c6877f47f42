"""Account features as of a date, computed column-wise with Polars, with no look-ahead.

`build_features(tables, as_of)` returns one row per debt: `debt_id`, `customer_id` and the columns of
`FEATURE_NAMES` (floats or ints; null = unknown). What "as of D" means, per table:
- statements: a monthly statement of period P (the first day of its month) is known once its month has
  closed, that is from P + 1 month; so only periods before the month of D are read. `k` = 1 is the
  latest closed month. Billed, paid and months late are kept for k = 1..6 (`bill_k`, `paid_k`,
  `late_k`); aggregates cover 12 months.
- ledger entries: effective on or before D and posted before the end of day D.
- contact events and promises: learned (`at`, `created_at`) before the end of day D; a promise resolved
  after D still counts as pending.
Invariant (tested): appending any row dated after D to any table leaves the features as of D unchanged.
`months_late` follows the statement convention: >= 1 months behind; 0 paid at least the minimum;
-1 paid in full; -2 no balance / no use.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cupx.analytics.features_activity import (
    ACTIVITY_FEATURES,
    contact_features,
    ledger_features,
    promise_features,
)
from cupx.analytics.frames import month_index, month_start, table

__all__ = ["FEATURE_NAMES", "WIDE_MONTHS", "build_features", "statement_features"]

WIDE_MONTHS = 6
HISTORY_MONTHS = 12

_WIDE = [f"{kind}_{k}" for k in range(1, WIDE_MONTHS + 1) for kind in ("bill", "paid", "late")]
_RATIOS = [f"pay_ratio_{k}" for k in range(1, WIDE_MONTHS)]
STATEMENT_FEATURES: tuple[str, ...] = (
    *_WIDE, *_RATIOS, "credit_limit", "utilisation_1", "pay_ratio_mean", "bill_trend", "paid_trend",
    "late_trend", "max_late_6", "max_late_12", "mean_late_6", "months_late_count_12", "months_paid_full_12",
    "months_no_use_12", "months_since_late", "statement_months", "paid_sum_6", "bill_mean_6", "bill_std_6",
    "underpaid_months_6",
)

FEATURE_NAMES: tuple[str, ...] = (*STATEMENT_FEATURES, *ACTIVITY_FEATURES, "days_open", "days_since_charge_off",
                                  "original_amount")


def _wide(name: str, col: str, k: int) -> pl.Expr:
    return pl.col(col).filter(pl.col("k") == k).first().cast(pl.Float64).alias(f"{name}_{k}")


def statement_features(tables: dict[str, pl.LazyFrame], as_of: date) -> pl.LazyFrame:
    """Per debt: the statement history of the last months closed before `as_of`, wide and aggregated."""
    cur = month_start(as_of)
    cur_idx = cur.year * 12 + cur.month
    st = (
        table(tables, "statements")
        .with_columns((pl.lit(cur_idx, dtype=pl.Int32) - month_index(pl.col("period"))).alias("k"))
        .filter((pl.col("k") >= 1) & (pl.col("k") <= HISTORY_MONTHS))
    )
    late = pl.col("months_late")
    six = pl.col("k") <= WIDE_MONTHS
    agg = st.group_by("debt_id").agg(
        *[_wide(name, col, k) for k in range(1, WIDE_MONTHS + 1)
          for name, col in (("bill", "billed_minor"), ("paid", "paid_minor"), ("late", "months_late"))],
        pl.col("credit_limit_minor").sort_by("k").drop_nulls().first().cast(pl.Float64).alias("credit_limit"),
        late.filter(six).max().cast(pl.Float64).alias("max_late_6"),
        late.max().cast(pl.Float64).alias("max_late_12"),
        late.filter(six).mean().alias("mean_late_6"),
        (late >= 1).sum().cast(pl.Float64).alias("months_late_count_12"),
        (late == -1).sum().cast(pl.Float64).alias("months_paid_full_12"),
        (late == -2).sum().cast(pl.Float64).alias("months_no_use_12"),
        pl.col("k").filter(late >= 1).min().cast(pl.Float64).alias("months_since_late"),
        pl.len().cast(pl.Float64).alias("statement_months"),
        pl.col("paid_minor").filter(six).sum().cast(pl.Float64).alias("paid_sum_6"),
        pl.col("billed_minor").filter(six).mean().alias("bill_mean_6"),
        pl.col("billed_minor").filter(six).std().alias("bill_std_6"),
    )
    return agg.with_columns(_derived_statement_columns())


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den where den > 0, clipped to [0, 10] so one huge overpayment does not dominate."""
    return pl.when(den > 0).then((num / den).clip(0.0, 10.0)).otherwise(None)


def _derived_statement_columns() -> list[pl.Expr]:
    # The payment made in month k settles the bill of month k + 1 (statements bill in arrears).
    ratios = [_ratio(pl.col(f"paid_{k}"), pl.col(f"bill_{k + 1}")).alias(f"pay_ratio_{k}") for k in range(1, 6)]
    paid_15 = pl.sum_horizontal([pl.col(f"paid_{k}").fill_null(0) for k in range(1, 6)])
    bill_26 = pl.sum_horizontal([pl.col(f"bill_{k}").fill_null(0) for k in range(2, 7)])
    underpaid = pl.sum_horizontal([
        ((pl.col(f"paid_{k}").fill_null(0) < pl.col(f"bill_{k + 1}")) & (pl.col(f"bill_{k + 1}") > 0)).cast(pl.Int32)
        for k in range(1, 6)
    ])
    late_rest = pl.mean_horizontal([pl.col(f"late_{k}") for k in range(2, 7)])
    return [
        *ratios,
        _ratio(paid_15, bill_26).alias("pay_ratio_mean"),
        pl.when(pl.col("credit_limit") > 0).then(pl.col("bill_1") / pl.col("credit_limit")).alias("utilisation_1"),
        (pl.col("bill_1") - pl.col("bill_6")).alias("bill_trend"),
        (pl.col("paid_1") - pl.col("paid_6")).alias("paid_trend"),
        (pl.col("late_1") - late_rest).alias("late_trend"),
        underpaid.cast(pl.Float64).alias("underpaid_months_6"),
    ]


def build_features(tables: dict[str, pl.LazyFrame], as_of: date) -> pl.DataFrame:
    """One row per debt of `tables["debts"]`: ids plus every column of `FEATURE_NAMES`, as of `as_of`."""
    debts = table(tables, "debts").select(
        pl.col("id").alias("debt_id"), "customer_id",
        pl.col("original_minor").cast(pl.Float64).alias("original_amount"),
        (pl.lit(as_of) - pl.col("opened_on")).dt.total_days().cast(pl.Float64).alias("days_open"),
        pl.when(pl.col("charge_off_date") <= as_of)
        .then((pl.lit(as_of) - pl.col("charge_off_date")).dt.total_days()).cast(pl.Float64)
        .alias("days_since_charge_off"),
    )
    frame = (
        debts.join(statement_features(tables, as_of), on="debt_id", how="left")
        .join(ledger_features(tables, as_of), on="debt_id", how="left")
        .join(contact_features(tables, as_of), on="customer_id", how="left")
        .join(promise_features(tables, as_of), on="debt_id", how="left")
    )
    return frame.select("debt_id", "customer_id", *FEATURE_NAMES).sort("debt_id").collect()

"""The UCI "default of credit card clients" layout (Yeh & Lien 2009) mapped to CU-PX's tables.

One row per client: ID, LIMIT_BAL, SEX, EDUCATION, MARRIAGE, AGE, PAY_0, PAY_2..PAY_6 (repayment
status Sep..Apr 2005), BILL_AMT1..6 (bill statement Sep..Apr), PAY_AMT1..6 (amount paid Sep..Apr), and
the label `default.payment.next.month` (named `target` in some copies): 1 = the client defaulted on the
October 2005 payment.

Mapping (amounts are New Taiwan dollars, stored as TWD minor units = dollars x 100):
- customer `uci-<ID>` and one credit-card debt `uci-<ID>` (original amount = the credit limit LIMIT_BAL,
  always positive, as the imports service requires; the limit also goes on every statement);
- six statements, April..September 2005: billed = BILL_AMT, paid = PAY_AMT, months_late = PAY_x (the
  UCI codes are CU-PX's convention: >= 1 months behind, 0 minimum paid, -1 paid in full, -2 no use);
- the label as a seventh statement for October 2005 with amounts unknown (NULL) and months_late = 1
  when the client defaulted, 0 otherwise. CU-PX's label "pays or cures within 30 days" as of
  2005-10-01 is therefore `1 - default`, read through the normal label rule (the statement of the
  month after the cut-off not late). Features as of 2005-10-01 only see April..September.
- SEX, EDUCATION, MARRIAGE and AGE are not imported: protected characteristics are not used to decide
  collection treatment.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = ["UCI_AS_OF", "UCI_MONTHS", "normalise_uci", "uci_customers", "uci_debts", "uci_label_column",
           "uci_statements"]

UCI_AS_OF = date(2005, 10, 1)
# (status column, bill column, paid column, period) from September back to April 2005.
UCI_MONTHS: tuple[tuple[str, str, str, date], ...] = (
    ("PAY_0", "BILL_AMT1", "PAY_AMT1", date(2005, 9, 1)),
    ("PAY_2", "BILL_AMT2", "PAY_AMT2", date(2005, 8, 1)),
    ("PAY_3", "BILL_AMT3", "PAY_AMT3", date(2005, 7, 1)),
    ("PAY_4", "BILL_AMT4", "PAY_AMT4", date(2005, 6, 1)),
    ("PAY_5", "BILL_AMT5", "PAY_AMT5", date(2005, 5, 1)),
    ("PAY_6", "BILL_AMT6", "PAY_AMT6", date(2005, 4, 1)),
)
_LABELS = ("default_next_month", "default.payment.next.month", "default payment next month", "target", "Y")


def normalise_uci(raw: pl.DataFrame) -> pl.DataFrame:
    """Numbers as floats (some copies write `1.00E+05`); the label column renamed `default_next_month`."""
    label = uci_label_column(raw)
    needed = ["ID", "LIMIT_BAL", *[c for m in UCI_MONTHS for c in m[:3]], label]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        from cupx.domain.errors import ValidationError

        raise ValidationError(f"UCI file misses columns {missing}", field=missing[0])
    return raw.select(*[pl.col(c).cast(pl.Float64) for c in needed[:-1]],
                      pl.col(label).cast(pl.Float64).cast(pl.Int64).alias("default_next_month"))


def uci_label_column(frame: pl.DataFrame) -> str:
    for name in _LABELS:
        if name in frame.columns:
            return name
    raise ValueError("no default label column (default.payment.next.month / target) in the UCI file")


def _minor(col: str) -> pl.Expr:
    return (pl.col(col).cast(pl.Float64) * 100).round(0).cast(pl.Int64)


def uci_customers(raw: pl.DataFrame) -> pl.DataFrame:
    """Rows for the customers import (docs/imports.md layout)."""
    ext = pl.format("uci-{}", pl.col("ID").cast(pl.Int64))
    return raw.select(ext.alias("external_id"), pl.format("UCI client {}", pl.col("ID").cast(pl.Int64))
                      .alias("full_name"))


def uci_debts(raw: pl.DataFrame) -> pl.DataFrame:
    """Rows for the debts import: one credit-card debt per client, in TWD, due at the cut-off."""
    ext = pl.format("uci-{}", pl.col("ID").cast(pl.Int64))
    amount = pl.col("LIMIT_BAL").cast(pl.Float64)
    return raw.select(
        ext.alias("external_id"), ext.alias("customer_external_id"),
        pl.lit("UCI Taiwan card issuer (2005)").alias("creditor"), pl.lit("credit_card").alias("product"),
        pl.lit("TWD").alias("currency"), amount.map_elements(lambda v: f"{v:.2f}", return_dtype=pl.String)
        .alias("original_amount"), pl.lit(UCI_AS_OF.isoformat()).alias("due_date"))


def uci_statements(raw: pl.DataFrame, debt_ids: pl.DataFrame) -> pl.DataFrame:
    """Statements for the `statements` table; `debt_ids` maps external_id -> debt_id."""
    ext = pl.format("uci-{}", pl.col("ID").cast(pl.Int64)).alias("external_id")
    months = [
        raw.select(ext, pl.lit(period).alias("period"), _minor(bill).alias("billed_minor"),
                   _minor(paid).alias("paid_minor"), pl.col(status).cast(pl.Int64).alias("months_late"),
                   _minor("LIMIT_BAL").alias("credit_limit_minor"), pl.lit("uci").alias("source"))
        for status, bill, paid, period in UCI_MONTHS
    ]
    label = uci_label_column(raw)
    outcome = raw.select(
        ext, pl.lit(UCI_AS_OF).alias("period"), pl.lit(None, dtype=pl.Int64).alias("billed_minor"),
        pl.lit(None, dtype=pl.Int64).alias("paid_minor"), pl.col(label).cast(pl.Int64).alias("months_late"),
        _minor("LIMIT_BAL").alias("credit_limit_minor"), pl.lit("uci_outcome").alias("source"))
    frame = pl.concat([*months, outcome])
    return (frame.join(debt_ids, on="external_id", how="inner")
            .select("debt_id", "period", "billed_minor", "paid_minor", "months_late", "credit_limit_minor",
                    pl.lit("TWD").alias("currency"), "source"))

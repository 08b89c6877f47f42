"""Ledger, contact and promise features as of a date (see `cupx.analytics.features` for the rules).

- ledger: balance, payments in the last 30/90/180 days (net of reversals), days since the last payment,
  returned payments, paid-to-charged ratio. A reversal undoes its target entry.
- contacts (per customer, so every debt of a customer sees them): outbound contacts, right-party
  contacts, inbound responses, response rate, days since the last contact, and the flags a strategy
  needs (dispute, opt-out, cease, declared hardship, complaint).
- promises (per debt): made, kept, broken (only when resolved before the cut-off), kept ratio, open
  promised amount, days since the last promise.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cupx.analytics.frames import cutoff_instant, table

__all__ = ["ACTIVITY_FEATURES", "contact_features", "ledger_features", "promise_features"]

LEDGER_FEATURES = ("balance", "paid_total", "paid_30", "paid_90", "paid_180", "payments_count_90",
                   "days_since_payment", "returned_payments", "paid_to_charged")
CONTACT_FEATURES = ("contacts_out_30", "contacts_out_90", "rpc_90", "inbound_90", "response_rate_90",
                    "days_since_contact", "days_since_rpc", "disputes", "opted_out", "cease_requested",
                    "hardship_declared", "complaints")
PROMISE_FEATURES = ("promises_total", "promises_kept", "promises_broken", "promise_kept_ratio",
                    "open_promise_amount", "days_since_promise", "promises_broken_90")
ACTIVITY_FEATURES: tuple[str, ...] = (*LEDGER_FEATURES, *CONTACT_FEATURES, *PROMISE_FEATURES)

OUTBOUND_TYPES = ["call_placed", "text_sent", "email_sent", "letter_sent"]
INBOUND_TYPES = ["consumer_initiated_contact", "telephone_conversation", "repayment_proposal"]


def ledger_features(tables: dict[str, pl.LazyFrame], as_of: date) -> pl.LazyFrame:
    cut = cutoff_instant(as_of)
    le = table(tables, "ledger_entries").filter(
        (pl.col("effective_date") <= as_of) & (pl.col("posted_at").is_null() | (pl.col("posted_at") < cut)))
    targets = le.select(pl.col("id").alias("reverses_id"), pl.col("kind").alias("target_kind"),
                        pl.col("amount_minor").alias("target_amount"))
    kind, amt = pl.col("kind"), pl.col("amount_minor")
    target_signed = (pl.when(pl.col("target_kind").is_in(["payment", "write_off"])).then(-pl.col("target_amount"))
                     .otherwise(pl.col("target_amount")))
    signed = (pl.when(kind.is_in(["charge", "fee", "interest", "adjustment"])).then(amt)
              .when(kind.is_in(["payment", "write_off"])).then(-amt)
              .when(kind == "reversal").then(-target_signed).otherwise(0))
    paid = (pl.when(kind == "payment").then(amt)
            .when((kind == "reversal") & (pl.col("target_kind") == "payment")).then(-pl.col("target_amount"))
            .otherwise(0))
    age = (pl.lit(as_of) - pl.col("effective_date")).dt.total_days()
    rows = le.join(targets, on="reverses_id", how="left").with_columns(
        signed.alias("signed"), paid.alias("paid"), age.alias("age"))
    return rows.group_by("debt_id").agg(
        pl.col("signed").sum().cast(pl.Float64).alias("balance"),
        pl.col("paid").sum().cast(pl.Float64).alias("paid_total"),
        *[pl.col("paid").filter(pl.col("age") < n).sum().cast(pl.Float64).alias(f"paid_{n}") for n in (30, 90, 180)],
        ((kind == "payment") & (pl.col("age") < 90)).sum().cast(pl.Float64).alias("payments_count_90"),
        pl.col("age").filter(kind == "payment").min().cast(pl.Float64).alias("days_since_payment"),
        ((kind == "reversal") & (pl.col("target_kind") == "payment")).sum().cast(pl.Float64)
        .alias("returned_payments"),
        pl.col("amount_minor").filter(kind.is_in(["charge", "fee", "interest"])).sum().alias("_charged"),
    ).with_columns(
        pl.when(pl.col("_charged") > 0).then(pl.col("paid_total") / pl.col("_charged")).alias("paid_to_charged")
    ).drop("_charged")


def contact_features(tables: dict[str, pl.LazyFrame], as_of: date) -> pl.LazyFrame:
    cut = cutoff_instant(as_of)
    ce = table(tables, "contact_events").filter(pl.col("at") < cut).with_columns(
        ((pl.lit(cut) - pl.col("at")).dt.total_days()).alias("age"))
    typ, age = pl.col("type"), pl.col("age")
    out = typ.is_in(OUTBOUND_TYPES)
    rpc = pl.col("right_party").fill_null(False)

    def count(cond: pl.Expr, name: str) -> pl.Expr:
        return cond.sum().cast(pl.Float64).alias(name)

    return ce.group_by("customer_id").agg(
        count(out & (age < 30), "contacts_out_30"),
        count(out & (age < 90), "contacts_out_90"),
        count(rpc & (age < 90), "rpc_90"),
        count(typ.is_in(INBOUND_TYPES) & (age < 90), "inbound_90"),
        age.filter(out).min().cast(pl.Float64).alias("days_since_contact"),
        age.filter(rpc).min().cast(pl.Float64).alias("days_since_rpc"),
        count(typ == "dispute", "disputes"),
        count(typ == "electronic_opt_out", "opted_out"),
        count(typ == "cease_notice", "cease_requested"),
        count(typ == "financial_difficulty_declared", "hardship_declared"),
        count(typ == "complaint", "complaints"),
    ).with_columns(
        pl.when(pl.col("contacts_out_90") > 0)
        .then(((pl.col("rpc_90") + pl.col("inbound_90")) / pl.col("contacts_out_90")).clip(0.0, 1.0))
        .alias("response_rate_90"))


def promise_features(tables: dict[str, pl.LazyFrame], as_of: date) -> pl.LazyFrame:
    cut = cutoff_instant(as_of)
    resolved = pl.col("resolved_at").is_not_null() & (pl.col("resolved_at") < cut)
    pr = table(tables, "promises").filter((pl.col("created_at") < cut) & pl.col("debt_id").is_not_null()).with_columns(
        pl.when(resolved).then(pl.col("status")).otherwise(pl.lit("pending")).alias("status_then"),
        (pl.lit(cut) - pl.col("created_at")).dt.total_days().alias("age"),
        (pl.lit(cut) - pl.col("resolved_at")).dt.total_days().alias("resolved_age"))
    st = pl.col("status_then")
    return pr.group_by("debt_id").agg(
        pl.len().cast(pl.Float64).alias("promises_total"),
        (st == "kept").sum().cast(pl.Float64).alias("promises_kept"),
        (st == "broken").sum().cast(pl.Float64).alias("promises_broken"),
        pl.col("amount_minor").filter((st == "pending") & (pl.col("promised_on") >= as_of)).sum()
        .cast(pl.Float64).alias("open_promise_amount"),
        pl.col("age").min().cast(pl.Float64).alias("days_since_promise"),
        ((st == "broken") & (pl.col("resolved_age") < 90)).sum().cast(pl.Float64).alias("promises_broken_90"),
    ).with_columns(
        pl.when((pl.col("promises_kept") + pl.col("promises_broken")) > 0)
        .then(pl.col("promises_kept") / (pl.col("promises_kept") + pl.col("promises_broken")))
        .alias("promise_kept_ratio"))

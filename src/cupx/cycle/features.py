"""Columnar features of every open debt as of the run date (one row per debt, see strategy.catalogue).

Definitions (all as of the run date `as_of`, nothing later is read):
- balance: charges, fees and interest add; payments and write-offs subtract; adjustments carry their
  sign; a reversal undoes its target. net paid = payments less reversed payments.
- episode: the due date of the oldest instalment of the due schedule not covered by net paid (FIFO), even
  if it is still in the future; due_offset = as_of - episode (negative before the due date); the debt is
  open when there is an episode and the balance is positive; dpd = max(due_offset, 0) when open, else 0.
- paid_30d/paid_90d: payments effective in the last 30/90 days less reversals of payments in that window.
- attempts_<channel>_<w>d: outbound attempts (text_sent, email_sent, letter_sent, call_placed) at or
  after the start of (as_of - w + 1); rpc_<w>d: right-party contacts in the same window.
- last_response: the type of the most recent right-party or customer-initiated event.
- behaviour (first that applies): chronic (2+ broken promises), self_cure (paid in the last 90 days and
  dpd <= 15), engaged (a right-party contact in 30 days or a response within 30 days), silent (3+
  attempts in 30 days without a right-party contact), new.
- holds: promise_pending (a pending promise on the debt or the customer), arrangement_active (an active
  plan/settlement with no consecutive misses), dispute (case status disputed), hardship (case status
  hardship_hold, an active breathing space, or the customer flag hardship), deceased, bankruptcy (flags).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from cupx.cycle.inputs import CycleInputs
from cupx.cycle.scoring import rule_score_columns
from cupx.strategy.catalogue import CONTACT_CHANNELS, WINDOWS
from cupx.strategy.frames import FEATURE_SCHEMA

__all__ = ["OUTBOUND_TYPES", "RESPONSE_TYPES", "build_features", "ledger_features", "contact_features"]

OUTBOUND_TYPES = {"text_sent": "sms", "email_sent": "email", "letter_sent": "letter", "call_placed": "call"}
RESPONSE_TYPES = ["telephone_conversation", "consumer_initiated_contact", "dispute", "repayment_proposal",
                  "financial_difficulty_declared", "inbound_sms", "portal_visit"]
_ADD = ["charge", "fee", "interest", "adjustment"]


def _days(as_of: date, col: pl.Expr) -> pl.Expr:
    return (pl.lit(as_of) - col).dt.total_days()


def ledger_features(inputs: CycleInputs, as_of: date) -> pl.LazyFrame:
    """balance, net_paid, paid_30d, paid_90d, days_since_payment per debt."""
    le = inputs["ledger_entries"]
    target = le.select(pl.col("id").alias("reverses_id"), pl.col("kind").alias("t_kind"),
                       pl.col("amount_minor").alias("t_amount"))
    le = le.join(target, on="reverses_id", how="left")
    kind, amt = pl.col("kind"), pl.col("amount_minor")
    t_sign = pl.when(pl.col("t_kind").is_in(_ADD)).then(pl.col("t_amount").sign()).otherwise(-1)
    signed = (pl.when(kind.is_in(_ADD)).then(amt).when(kind.is_in(["payment", "write_off"])).then(-amt)
              .when(kind == "reversal").then(-t_sign * amt).otherwise(0))
    paid = pl.when(kind == "payment").then(amt).when((kind == "reversal") & (pl.col("t_kind") == "payment")) \
        .then(-amt).otherwise(0)
    reversed_ids = le.filter((kind == "reversal") & (pl.col("t_kind") == "payment")).select(
        pl.col("reverses_id").alias("id"))
    last_pay = (le.filter(kind == "payment").join(reversed_ids, on="id", how="anti")
                .group_by("debt_id").agg(last_paid_on=pl.col("effective_date").max()))
    eff = pl.col("effective_date")
    agg = le.group_by("debt_id").agg(
        balance=signed.sum(), net_paid=paid.sum(),
        paid_30d=paid.filter(eff > pl.lit(as_of - timedelta(days=30))).sum(),
        paid_90d=paid.filter(eff > pl.lit(as_of - timedelta(days=90))).sum(),
    )
    return agg.join(last_pay, on="debt_id", how="left").with_columns(
        days_since_payment=_days(as_of, pl.col("last_paid_on"))).drop("last_paid_on")


def _episodes(debts: pl.LazyFrame, ledger: pl.LazyFrame) -> pl.LazyFrame:
    """The oldest instalment not covered by net paid, per debt (FIFO coverage).

    The schedule is JSON `[["YYYY-MM-DD", minor], ...]` in date order (a Debt invariant), so after one
    regex split the rows of a debt are contiguous and already sorted: a running sum gives the coverage."""
    sched = debts.select(
        pl.col("id").alias("debt_id"),
        pl.col("due_schedule").str.extract_all(r"\d{4}-\d{2}-\d{2}\D+-?\d+").alias("item"),
    ).explode("item").drop_nulls("item").with_columns(
        due_on=pl.col("item").str.slice(0, 10).str.to_date("%Y-%m-%d"),
        amount=pl.col("item").str.extract(r"(-?\d+)$").cast(pl.Int64),
    ).with_columns(cum=pl.col("amount").cum_sum().over("debt_id"))
    paid = ledger.select("debt_id", "net_paid")
    return (sched.join(paid, on="debt_id", how="left")
            .filter(pl.col("cum") > pl.col("net_paid").fill_null(0))
            .group_by("debt_id").agg(episode=pl.col("due_on").min()))


def contact_features(inputs: CycleInputs, as_of: date) -> pl.LazyFrame:
    """Attempt and right-party counts per channel and window, last contact and response, per customer."""
    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
    ev = inputs["contact_events"].filter(pl.col("at") < end)
    out_ch = pl.col("type").replace_strict(OUTBOUND_TYPES, default=None)
    ev = ev.with_columns(_ch=out_ch, _day=pl.col("at").dt.date())
    aggs: list[pl.Expr] = []
    for w in WINDOWS:
        since = pl.col("at") >= end - timedelta(days=w)
        aggs += [(since & (pl.col("_ch") == ch)).sum().alias(f"attempts_{ch}_{w}d") for ch in CONTACT_CHANNELS]
        aggs.append((since & pl.col("right_party")).sum().alias(f"rpc_{w}d"))
    response = pl.col("right_party") | pl.col("type").is_in(RESPONSE_TYPES)
    aggs += [
        pl.col("_day").filter(pl.col("_ch").is_not_null()).max().alias("_last_contact"),
        pl.col("type").filter(response).sort_by(pl.col("at").filter(response)).last().alias("last_response"),
        pl.col("_day").filter(response).max().alias("_last_response"),
    ]
    return ev.group_by("customer_id").agg(aggs).with_columns(
        days_since_contact=_days(as_of, pl.col("_last_contact")),
        days_since_response=_days(as_of, pl.col("_last_response")),
    ).drop("_last_contact", "_last_response")


def _flag(name: str) -> pl.Expr:
    return pl.col("flags").fill_null("").str.contains(f"(^|,){name}(,|$)")


def _customer_features(inputs: CycleInputs, as_of: date) -> pl.LazyFrame:
    promises = inputs["promises"]
    broken = promises.filter(pl.col("status") == "broken").group_by("customer_id").agg(
        broken_promises=pl.len().cast(pl.Int64), _last_broken=pl.col("resolved_on").max())
    cust = inputs["customers"].select(
        pl.col("id").alias("customer_id"), pl.col("preferred_language").alias("language"),
        _flag("vulnerable").alias("vulnerable"), _flag("deceased").alias("deceased"),
        _flag("bankruptcy").alias("bankruptcy"), _flag("hardship").alias("_hardship_flag"),
        _days(as_of, pl.col("customer_since")).alias("tenure_days"))
    for name, flag in (("mobiles", "has_mobile"), ("emails", "has_email"), ("addresses", "has_address")):
        has = inputs[name].unique().with_columns(pl.lit(True).alias(flag))
        cust = cust.join(has, on="customer_id", how="left")
    return cust.join(broken, on="customer_id", how="left").with_columns(
        pl.col("broken_promises").fill_null(0),
        days_since_broken_promise=_days(as_of, pl.col("_last_broken")),
    ).drop("_last_broken")


def _debt_holds(inputs: CycleInputs, as_of: date, debts: pl.LazyFrame) -> pl.LazyFrame:
    """promise_pending, arrangement_active, breathing-space per debt (a null debt_id covers all debts)."""
    def covered(frame: pl.LazyFrame, name: str) -> pl.LazyFrame:
        per_debt = frame.filter(pl.col("debt_id").is_not_null()).select("debt_id").unique() \
            .with_columns(_d=pl.lit(True))
        per_cust = frame.filter(pl.col("debt_id").is_null()).select("customer_id").unique() \
            .with_columns(_c=pl.lit(True))
        return (debts.join(per_debt, on="debt_id", how="left").join(per_cust, on="customer_id", how="left")
                .select("debt_id", "customer_id", (pl.col("_d").fill_null(False) | pl.col("_c").fill_null(False))
                        .alias(name)))
    pend = covered(inputs["promises"].filter(pl.col("status") == "pending"), "promise_pending")
    plans = covered(inputs["payment_plans"].filter(pl.col("status").is_in(["active"])
                                                   & (pl.col("consecutive_misses") == 0)), "arrangement_active")
    space = covered(inputs["breathing_spaces"].filter(
        (pl.col("status") == "active") & (pl.col("starts_on") <= as_of) & (pl.col("ends_on") >= as_of)), "_space")
    return pend.join(plans.drop("customer_id"), on="debt_id").join(space.drop("customer_id"), on="debt_id")


def _behaviour() -> pl.Expr:
    attempts_30 = sum((pl.col(f"attempts_{ch}_30d") for ch in CONTACT_CHANNELS), pl.lit(0))
    return (pl.when(pl.col("broken_promises") >= 2).then(pl.lit("chronic"))
            .when((pl.col("paid_90d") > 0) & (pl.col("dpd") <= 15)).then(pl.lit("self_cure"))
            .when((pl.col("rpc_30d") > 0) | (pl.col("days_since_response") <= 30).fill_null(False))
            .then(pl.lit("engaged"))
            .when((attempts_30 >= 3) & (pl.col("rpc_30d") == 0)).then(pl.lit("silent"))
            .otherwise(pl.lit("new")))


def build_features(inputs: CycleInputs, as_of: date, scores: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per debt of `inputs["debts"]` with every catalogue feature. `scores` (debt_id, risk_score,
    risk_band, model_version) come from the active model; without one the rule score is used."""
    debts = inputs["debts"]
    ledger = ledger_features(inputs, as_of)
    base = debts.select(pl.col("id").alias("debt_id"), "customer_id", "product", "currency", "jurisdiction",
                        pl.col("original_minor").alias("original"), "status")
    value = base.group_by("customer_id").agg(customer_value=pl.col("original").sum())
    lf = (base.join(ledger, on="debt_id", how="left").join(_episodes(debts, ledger), on="debt_id", how="left")
          .with_columns(pl.col("balance", "net_paid", "paid_30d", "paid_90d").fill_null(0))
          .with_columns(is_open=pl.col("episode").is_not_null() & (pl.col("balance") > 0),
                        due_offset=_days(as_of, pl.col("episode")))
          .with_columns(dpd=pl.when(pl.col("is_open")).then(pl.col("due_offset").clip(lower_bound=0)).otherwise(0))
          .join(_customer_features(inputs, as_of), on="customer_id", how="left")
          .join(contact_features(inputs, as_of), on="customer_id", how="left")
          .join(value, on="customer_id", how="left")
          .join(_debt_holds(inputs, as_of, base.select("debt_id", "customer_id")).drop("customer_id"),
                on="debt_id", how="left")
          )
    open_count = lf.filter(pl.col("is_open")).group_by("customer_id").agg(debts_of_customer=pl.len().cast(pl.Int64))
    counts = [c for c in FEATURE_SCHEMA if c.startswith(("attempts_", "rpc_"))]
    flags = ["has_mobile", "has_email", "has_address", "vulnerable", "deceased", "bankruptcy", "promise_pending",
             "arrangement_active"]
    lf = lf.join(open_count, on="customer_id", how="left").with_columns(
        pl.col(counts).fill_null(0), pl.col(flags).fill_null(False), pl.col("debts_of_customer").fill_null(0),
        dispute=pl.col("status") == "disputed",
        hardship=(pl.col("status") == "hardship_hold") | pl.col("_space").fill_null(False)
        | pl.col("_hardship_flag").fill_null(False),
        language=pl.col("language").fill_null("en"),
    ).with_columns(behaviour=_behaviour())
    if scores is None:
        lf = lf.with_columns(rule_score_columns())
    else:
        lf = lf.join(scores.select("debt_id", "risk_score", "risk_band", "model_version"), on="debt_id", how="left")
    return lf.select([pl.col(c).cast(t) for c, t in FEATURE_SCHEMA.items()] + [pl.col("model_version")])

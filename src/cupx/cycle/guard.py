"""The compliance guard in batch form for the cycle's contacts (contract C3), and send times.

For each customer contact of the day: the proposed send time is the start of the customer's common
local window on the run date (`cupx.cycle.schedule`), the guard (`evaluate_batch`) answers allowed or
blocked with reason codes; a contact blocked only by the time window but with a `next_allowed_at` on
the run date is scheduled then. Internal escalations (`review`, `agency`) are not contacts with the
customer and skip the guard. The rules themselves live only in `cupx.compliance.batch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from cupx.compliance.batch import evaluate_batch
from cupx.cycle.schedule import window_frame

__all__ = ["GUARD_CHANNEL", "GuardResult", "guard_contacts", "guard_events"]

GUARD_CHANNEL = {"sms": "text", "email": "email", "letter": "letter", "call_task": "call"}
_TIME = "REGF_INCONVENIENT_TIME"


@dataclass(frozen=True)
class GuardResult:
    answers: pl.DataFrame  # customer_id, allowed, reason_codes (list), scheduled_at
    guard: str  # which guard answered: "compliance.batch", or "none" when there was no contact to check


def _evaluate(customers: pl.DataFrame, events: pl.DataFrame, actions: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    return evaluate_batch(customers, events, actions), "compliance.batch"


def guard_events(events: pl.DataFrame) -> pl.DataFrame:
    """The C3 event columns the payload carries (RULES.md 6.2): medium, target, written, initiated_by."""
    if "payload" not in events.columns:
        return events
    p = pl.col("payload").fill_null("")
    return events.with_columns(
        medium=p.str.json_path_match("$.medium"),
        target=pl.coalesce(p.str.json_path_match("$.target"), p.str.json_path_match("$.number"),
                           p.str.json_path_match("$.address")),
        written=p.str.json_path_match("$.written").replace_strict({"true": True, "false": False}, default=None,
                                                                  return_dtype=pl.Boolean),
        initiated_by=p.str.json_path_match("$.initiated_by"),
    ).drop("payload")


def guard_contacts(contacts: pl.DataFrame, customers: pl.DataFrame, events: pl.DataFrame,
                   as_of: date) -> GuardResult:
    """contacts: customer_id, channel, message_debt_ids; customers: customer_id, tz_candidates."""
    windows = window_frame(customers["tz_candidates"].fill_null(""), as_of)
    base = contacts.select("customer_id", "channel", "message_debt_ids").join(
        customers.select("customer_id", pl.col("tz_candidates").fill_null("")), on="customer_id", how="left"
    ).with_columns(pl.col("tz_candidates").fill_null("")).join(windows, on="tz_candidates", how="left")
    internal = base.filter(~pl.col("channel").is_in(list(GUARD_CHANNEL)))
    external = base.filter(pl.col("channel").is_in(list(GUARD_CHANNEL))).with_row_index("action_id")
    actions = external.select(
        pl.col("action_id").cast(pl.Int64), "customer_id", pl.col("message_debt_ids").alias("debt_ids"),
        pl.col("channel").replace_strict(GUARD_CHANNEL, return_dtype=pl.String),
        pl.col("window_start").alias("at"), pl.lit("manual").alias("dialing"))
    guard = "none"
    if actions.height:
        ids = actions.select("customer_id").unique()
        cust = customers.join(ids, on="customer_id", how="semi").with_columns(pl.col("tz_candidates").fill_null(""))
        evs = guard_events(events.join(ids, on="customer_id", how="semi"))
        # The window start is null when the zones share no window: ask at midnight so the guard says why.
        asked = actions.with_columns(pl.col("at").fill_null(pl.lit(as_of).cast(pl.Datetime("us", "UTC"))))
        answers, guard = _evaluate(cust, evs, asked)
        answered = _merge(external, answers.join(actions.select("action_id", "at"), on="action_id"), as_of)
    else:
        answered = pl.DataFrame(schema={"customer_id": pl.Int64, "allowed": pl.Boolean,
                                        "reason_codes": pl.List(pl.String), "scheduled_at": pl.Datetime("us", "UTC")})
    inside = internal.select("customer_id", allowed=pl.lit(True), reason_codes=pl.lit([], dtype=pl.List(pl.String)),
                             scheduled_at=pl.lit(as_of).cast(pl.Datetime("us", "UTC")))
    return GuardResult(pl.concat([answered, inside.cast(answered.schema)]), guard)  # type: ignore[arg-type]


def _merge(external: pl.DataFrame, answers: pl.DataFrame, as_of: date) -> pl.DataFrame:
    codes = pl.col("reason_codes").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    only_time = codes.list.len().eq(1) & codes.list.contains(_TIME)
    later_today = pl.col("next_allowed_at").is_not_null() & (pl.col("next_allowed_at").dt.date() == as_of)
    allowed = (pl.col("decision") == "allowed") & pl.col("at").is_not_null() & pl.col("window_start").is_not_null()
    rescheduled = (pl.col("decision") == "blocked") & only_time & later_today
    return external.select("action_id", "customer_id", "window_start").join(answers, on="action_id").select(
        "customer_id",
        (allowed | rescheduled).alias("allowed"),
        pl.when(allowed | rescheduled).then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.when(pl.col("window_start").is_null() & ~codes.list.contains(_TIME))
                   .then(codes.list.concat(pl.lit([_TIME]))).otherwise(codes)).alias("reason_codes"),
        pl.when(rescheduled).then(pl.col("next_allowed_at")).otherwise(pl.col("at")).alias("scheduled_at"),
    )

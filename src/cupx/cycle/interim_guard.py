"""INTERIM guard, used only while `cupx.compliance.batch.evaluate_batch` (contract C3) is not usable.

`cupx.cycle.guard` calls the compliance engineer's batch guard and falls back here when it raises
NotImplementedError; the run records which guard answered. This stand-in covers only what the cycle
must never get wrong while waiting: the 08:00-21:00 window in every candidate zone (via `at`, which the
cycle already sets to the window start, so here only a missing window blocks), cease notices (any cease
notice blocks every contact) and electronic opt-outs (block texts and emails). It takes and returns
the C3 frames, so switching is a no-op for the caller. Delete it once C3 is in.
"""

from __future__ import annotations

import polars as pl

__all__ = ["interim_evaluate_batch"]


def interim_evaluate_batch(customers: pl.DataFrame, events: pl.DataFrame, actions: pl.DataFrame,
                           profile: object | None = None) -> pl.DataFrame:
    ev = events.select("customer_id", "type", "at")
    joined = actions.select("action_id", "customer_id", "channel", "at").join(
        ev.rename({"at": "event_at"}), on="customer_id", how="left")
    joined = joined.filter(pl.col("event_at").is_null() | (pl.col("event_at") <= pl.col("at")))
    cease = joined.filter(pl.col("type") == "cease_notice").select("action_id").unique().with_columns(
        _cease=pl.lit(True))
    opt = joined.filter((pl.col("type") == "electronic_opt_out") & pl.col("channel").is_in(["text", "email"])) \
        .select("action_id").unique().with_columns(_opt=pl.lit(True))
    out = actions.select("action_id", "at").join(cease, on="action_id", how="left").join(opt, on="action_id",
                                                                                          how="left")
    codes = pl.concat_list(
        pl.when(pl.col("_cease")).then(pl.lit("REGF_CEASE_COMMUNICATION")),
        pl.when(pl.col("at").is_null()).then(pl.lit("REGF_INCONVENIENT_TIME")),
        pl.when(pl.col("_opt")).then(pl.lit("REGF_PROHIBITED_MEDIUM")),
    ).list.drop_nulls().list.sort()
    return out.select(
        "action_id",
        pl.when(codes.list.len() > 0).then(pl.lit("blocked")).otherwise(pl.lit("allowed")).alias("decision"),
        codes.alias("reason_codes"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("next_allowed_at"),
    )

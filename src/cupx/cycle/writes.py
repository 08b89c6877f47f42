"""The rows a run writes, derived from its decision frame (pure; the adapter inserts them).

- decisions: one per debt; key (as_of, debt_id).
- outbox (contract C5): one per customer with an allowed contact; `message_key` =
  f"cycle:{as_of}:{customer_id}:{channel}", `debt_ids` every debt the message covers, payload JSON with
  decision_id, step_id, strategy_id, strategy_version, segment, arm, debt_ids.
- progress: an `attempt` row for each debt whose step went out (contact or grouped), a `skip` row for each
  step skipped because its conditions were false; key (on_date, debt_id, step_id, kind). Expired steps
  are listed on the decision (`skipped_steps`) but not stored as progress: expiry is recomputed nightly.
- assignments: the experiment arms given for the first time.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from cupx.strategy.vocabulary import DecisionKind, SkipReason

__all__ = ["assignment_rows", "decision_rows", "outbox_rows", "progress_rows"]

_OUT = [DecisionKind.CONTACT.value, DecisionKind.GROUPED.value]


def _json_ints(col: pl.Expr) -> pl.Expr:
    return pl.lit("[") + col.list.eval(pl.element().cast(pl.String)).list.join(", ") + pl.lit("]")


def decision_rows(decisions: pl.DataFrame, run_id: int, as_of: date, now: datetime) -> pl.DataFrame:
    return decisions.select(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"), pl.lit(as_of).alias("as_of"),
        "debt_id", "customer_id", pl.col("kind").alias("decision"), "strategy_id", "strategy_version", "segment",
        "experiment_id", "arm", "step_id", "channel", pl.col("template").alias("template_id"),
        pl.col("reasons").alias("reason_codes"), pl.col("skips").alias("skipped_steps"), "score", "risk_band",
        "model_version",
        "message_key", pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("created_at"),
    )


def outbox_rows(decisions: pl.DataFrame, ids: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """`ids`: debt_id -> id of its stored decision (for the payload's decision_id)."""
    win = decisions.filter((pl.col("kind") == DecisionKind.CONTACT.value) & pl.col("message_key").is_not_null())
    win = win.join(ids.rename({"id": "decision_id"}), on="debt_id", how="inner")
    debt_ids = _json_ints(pl.col("message_debt_ids"))
    payload = pl.concat_str(
        pl.lit('{"decision_id": '), pl.col("decision_id").cast(pl.String),
        pl.lit(', "step_id": "'), pl.col("step_id"),
        pl.lit('", "strategy_id": "'), pl.col("strategy_id"),
        pl.lit('", "strategy_version": '), pl.col("strategy_version").cast(pl.String),
        pl.lit(', "segment": '), pl.when(pl.col("segment").is_null()).then(pl.lit("null"))
        .otherwise(pl.lit('"') + pl.col("segment") + pl.lit('"')),
        pl.lit(', "arm": '), pl.when(pl.col("arm").is_null()).then(pl.lit("null"))
        .otherwise(pl.lit('"') + pl.col("arm") + pl.lit('"')),
        pl.lit(', "debt_ids": '), debt_ids, pl.lit("}"),
    )
    return win.select(
        "message_key", "customer_id", debt_ids.alias("debt_ids"), "channel", pl.col("template").alias("template_id"),
        pl.col("language").fill_null("en"), "scheduled_at", pl.lit("pending").alias("status"), "decision_id",
        pl.lit("cycle").alias("source"), payload.alias("payload"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("created_at"),
    ).sort("message_key")  # in key order: the unique index grows at its end instead of splitting pages


def progress_rows(decisions: pl.DataFrame, run_id: int, as_of: date) -> pl.DataFrame:
    base = decisions.filter(pl.col("episode").is_not_null())
    attempts = base.filter(pl.col("kind").is_in(_OUT) & pl.col("step_id").is_not_null()).select(
        "debt_id", "episode", "strategy_id", "step_id", pl.lit("attempt").alias("kind"),
        pl.col("kind").alias("reason"))  # contact or grouped
    skips = base.filter(pl.col("skips") != "").select("debt_id", "episode", "strategy_id",
                                                      pl.col("skips").str.split(",")).explode("skips").select(
            "debt_id", "episode", "strategy_id",
            pl.col("skips").str.split_exact(":", 1).struct.field("field_0").alias("step_id"),
            pl.lit("skip").alias("kind"),
            pl.col("skips").str.split_exact(":", 1).struct.field("field_1").alias("reason"))
    skips = skips.filter(pl.col("reason") != SkipReason.EXPIRED.value)
    return pl.concat([attempts, skips]).with_columns(
        on_date=pl.lit(as_of), run_id=pl.lit(run_id, dtype=pl.Int64)).sort("debt_id", "step_id", "kind")


def assignment_rows(decisions: pl.DataFrame, as_of: date) -> pl.DataFrame:
    return decisions.filter(pl.col("arm_is_new").fill_null(False)).select(
        "experiment_id", "customer_id", "arm").unique(["experiment_id", "customer_id"], keep="first") \
        .sort("experiment_id", "customer_id").with_columns(assigned_on=pl.lit(as_of))

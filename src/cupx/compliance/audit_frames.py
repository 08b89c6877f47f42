"""§7.6 record bodies of the batch guard's answers, built columnar (the nightly cycle records up to a
million contacts a night).

`batch_record_frame(answers, at)` gives, for each answer row, exactly the text that
`canonical(build_record(...))` gives for the same answer recorded one at a time with
`Decision(outcome, codes, (), {"source": "batch"})` and no events: a record appended from a frame
verifies like any other (`verify_rows` re-serialises the parsed body and must get the same text back).
How: the body is a Polars struct whose fields are in sorted key order at every level, JSON-encoded by
Polars in C, which writes compact JSON (no spaces) and escapes strings as `json.dumps(...,
ensure_ascii=False)` does. A test compares both paths on arbitrary text.

Input columns: decision_id (str), customer_id (int, nullable), action_type (str), debt_ids (list[str]),
outcome (str), reason_codes (list[str]), action_at (str ISO instant, nullable).
Output columns: those of the stored record but the chain (seq, prev_hash, hash): decision_id, at,
customer_id, debt_ids and reason_codes (comma-joined), action_type, outcome, retain_until, body.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from cupx.compliance.business_calendar import HOLIDAY_TABLE_VERSION, add_years
from cupx.compliance.codes import RULESET_VERSION

__all__ = ["BATCH_COMPUTED", "batch_record_frame"]

BATCH_COMPUTED = {"source": "batch"}  # the `computed` of a batch answer (no per-contact values)

_TEXT_LIST = pl.List(pl.String())


def batch_record_frame(answers: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """The stored columns and canonical body of each answer (see the module docstring)."""
    if at.utcoffset() is None:
        raise ValueError("at must be an aware instant")
    debt_ids = pl.col("debt_ids").cast(_TEXT_LIST).fill_null(pl.lit([], dtype=_TEXT_LIST))
    codes = pl.col("reason_codes").cast(_TEXT_LIST).fill_null(pl.lit([], dtype=_TEXT_LIST))
    empty = pl.lit([], dtype=_TEXT_LIST)
    # Field order below IS the canonical key order (sorted), at every level.
    body = pl.struct(
        pl.struct(pl.col("action_at").cast(pl.String).alias("at"), debt_ids.alias("debt_ids"),
                  pl.col("action_type").cast(pl.String).alias("type")).alias("action"),
        pl.col("action_type").cast(pl.String).alias("action_type"),
        empty.alias("advisory_flags"),
        pl.lit(at.isoformat()).alias("at"),
        pl.struct(*[pl.lit(v).alias(k) for k, v in sorted(BATCH_COMPUTED.items())]).alias("computed"),
        pl.col("customer_id").cast(pl.Int64).alias("customer_id"),
        debt_ids.alias("debt_ids"),
        pl.col("decision_id").cast(pl.String).alias("decision_id"),
        pl.lit(HOLIDAY_TABLE_VERSION).alias("holiday_table_version"),
        pl.struct(empty.alias("candidate_time_zones"), empty.alias("event_hashes")).alias("inputs"),
        pl.col("outcome").cast(pl.String).alias("outcome"),
        pl.lit(None, dtype=pl.Null).alias("override"),
        codes.alias("reason_codes"),
        pl.lit(add_years(at.date(), 3).isoformat()).alias("retain_until"),
        pl.lit(RULESET_VERSION).alias("ruleset_version"),
    ).struct.json_encode()
    return answers.select(
        "decision_id",
        pl.lit(at.astimezone(UTC)).cast(pl.Datetime("us", "UTC")).alias("at"),
        pl.col("customer_id").cast(pl.Int64),
        debt_ids.list.join(",").alias("debt_ids"),
        pl.col("action_type").cast(pl.String),
        "outcome",
        codes.list.join(",").alias("reason_codes"),
        pl.lit(add_years(at.date(), 3)).alias("retain_until"),
        body.alias("body"),
    )

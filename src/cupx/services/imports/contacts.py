"""Importing contact history and compliance events (RULES.md 6.2) into `contact_events`.

Invariants:
- The customer exists; every attributed debt exists and belongs to that customer. `debt_ids` is the
  JSON list of CU-PX debt ids in file order, `debt_id` the first of them (null when none).
- `at` is an instant with an offset (when the collector learned of the event), stored as UTC.
- `payload` is a JSON object (the event's other RULES.md 6.2 fields), stored as canonical JSON.
- Events are immutable, like ledger entries: the same `external_id` with identical content is
  `unchanged`, with different content the row is rejected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import polars as pl

from cupx.domain.errors import ValidationError
from cupx.services.imports.checks import Checker
from cupx.services.imports.ports import ImportRepository
from cupx.services.imports.reading import FileSpec

__all__ = ["CHANNELS", "SPEC", "import_contacts"]

SPEC = FileSpec(
    "contacts",
    required=("external_id", "customer_external_id", "type", "at"),
    optional=("debt_external_ids", "channel", "outcome", "right_party", "payload"),
)
CHANNELS = ("call", "sms", "email", "letter", "portal")
_COMPARED = ["customer_id", "debt_id", "debt_ids", "type", "channel", "at", "outcome", "right_party", "payload"]


def _payload(text: str) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not JSON: {exc.msg}", field="payload") from None
    if not isinstance(value, dict):
        raise ValidationError("must be a JSON object", field="payload")
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _validate(ck: Checker, repo: ImportRepository) -> None:
    ck.required(*SPEC.required)
    ck.max_length("external_id", 100)
    ck.max_length("outcome", 40)
    ck.duplicates("external_id")
    ck.df = ck.df.with_columns(pl.col("type").str.to_lowercase(), pl.col("channel").str.to_lowercase())
    ck.matches("type", r"^[a-z][a-z0-9_]{1,39}$", "not an event type (RULES.md 6.2: call_placed, dispute, ...)")
    ck.one_of("channel", CHANNELS)
    ck.instant("at")
    ck.boolean("right_party")
    ck.per_value("payload", _payload, pl.String())
    ck.df = ck.df.with_columns(pl.col("payload").fill_null("{}"))
    customers = repo.lookup("customers", "external_id", ck.df["customer_external_id"].drop_nulls().to_list(),
                            ["external_id", "id"]).rename({"external_id": "customer_external_id", "id": "customer_id"})
    ck.df = ck.df.join(customers, on="customer_external_id", how="left", maintain_order="left")
    ck.flag(pl.col("customer_external_id").is_not_null() & pl.col("customer_id").is_null(), "customer_external_id",
            pl.format("unknown customer {}", pl.col("customer_external_id")))
    _resolve_debts(ck, repo)


def _resolve_debts(ck: Checker, repo: ImportRepository) -> None:
    refs = (ck.df.select("row", "customer_id", pl.col("debt_external_ids").str.split(";").alias("ext"))
            .explode("ext").with_columns(pl.col("ext").str.strip_chars())
            .filter(pl.col("ext").is_not_null() & (pl.col("ext") != ""))
            .with_columns(pl.int_range(pl.len()).over("row").alias("pos")))
    debts = repo.lookup("debts", "external_id", refs["ext"].unique().to_list(), ["external_id", "id", "customer_id"])
    refs = refs.join(debts.rename({"external_id": "ext", "customer_id": "owner"}), on="ext", how="left",
                     maintain_order="left")
    ck.flag_rows(refs.filter(pl.col("id").is_null()).select(
        "row", pl.lit("debt_external_ids").alias("field"), pl.format("unknown debt {}", "ext").alias("reason")))
    ck.flag_rows(refs.filter(pl.col("id").is_not_null() & pl.col("customer_id").is_not_null()
                             & (pl.col("owner") != pl.col("customer_id"))).select(
        "row", pl.lit("debt_external_ids").alias("field"),
        pl.format("debt {} belongs to another customer", "ext").alias("reason")))
    per_row = refs.filter(pl.col("id").is_not_null()).unique(["row", "id"], keep="first", maintain_order=True).group_by(
        "row", maintain_order=True).agg(
        pl.col("id").first().alias("debt_id"),
        pl.format("[{}]", pl.col("id").cast(pl.String).str.join(",")).alias("debt_ids"))
    ck.df = ck.df.join(per_row, on="row", how="left", maintain_order="left").with_columns(
        pl.col("debt_ids").fill_null("[]"))


def import_contacts(df: pl.DataFrame, repo: ImportRepository, now: datetime,
                    progress: Callable[[str, int, int], None]) -> tuple[Checker, dict[str, int]]:
    """Validate and write a contacts frame; returns the checker (problems) and the counts."""
    ck = Checker(df)
    _validate(ck, repo)
    good = ck.good()
    stored = repo.lookup("contact_events", "external_id", good["external_id"].to_list(), ["external_id", *_COMPARED])
    unchanged = 0
    if stored.height:
        mine = good.join(stored.rename({c: f"db_{c}" for c in _COMPARED}), on="external_id", how="inner")
        same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"db_{c}")) for c in _COMPARED])
        ck.flag_rows(mine.filter(~same).select("row", pl.lit("external_id").alias("field"), pl.lit(
            "contact events are immutable; record a new event").alias("reason")))
        unchanged = mine.filter(same).height
    new = ck.good().filter(~pl.col("external_id").is_in(stored["external_id"].implode()))
    progress("writing", 0, new.height)
    repo.insert("contact_events", new.select("external_id", *_COMPARED))
    progress("writing", new.height, new.height)
    del now  # contact events carry their own instant
    return ck, {"inserted": new.height, "updated": 0, "unchanged": unchanged}

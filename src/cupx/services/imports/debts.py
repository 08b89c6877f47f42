"""Importing debts: validate, resolve the customer, detect unchanged rows by hash, write in bulk.

Invariants:
- A debt's customer must already exist (import customers first); the currency is ISO 4217 and the
  original amount and schedule amounts respect its precision (`parse_money`).
- `due_schedule` is stored as JSON `[[iso_date, minor], ...]` in date order; a single `due_date` becomes
  a one-instalment schedule of the original amount.
- `status` is the *initial* case status: it applies when the debt is created. Later moves go through
  the case state machine, so a re-import never overwrites the status (and it is not part of the hash).
- Balances are never taken from this file: they derive from ledger entries (import a `charge`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime

import polars as pl

from cupx.domain.case import CaseStatus
from cupx.domain.debt import ProductKind
from cupx.domain.errors import CupxError, ValidationError
from cupx.domain.money import parse_money
from cupx.services.imports.checks import Checker
from cupx.services.imports.ports import ImportRepository
from cupx.services.imports.reading import FileSpec

__all__ = ["SPEC", "import_debts", "parse_schedule"]

SPEC = FileSpec(
    "debts",
    required=("external_id", "customer_external_id", "creditor", "product", "currency", "original_amount"),
    optional=("due_date", "due_schedule", "opened_on", "charge_off_date", "sol_date", "jurisdiction", "status"),
)
_HASHED = ["external_id", "customer_id", "creditor", "product", "currency", "original_minor", "jurisdiction",
           "opened_on", "charge_off_date", "sol_date", "due_schedule"]


def parse_schedule(text: str, currency: str) -> str:
    """`date:amount;date:amount` -> JSON `[[iso_date, minor], ...]`, in date order, amounts positive."""
    pairs = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        when, sep, amount = part.partition(":")
        if not sep:
            raise ValidationError(f"{part!r} is not date:amount", field="due_schedule")
        try:
            due = date.fromisoformat(when.strip())
        except ValueError:
            raise ValidationError(f"{when!r} is not an ISO date", field="due_schedule") from None
        minor = parse_money(amount, currency, field="due_schedule").minor
        if minor <= 0:
            raise ValidationError("a due amount must be positive", field="due_schedule")
        pairs.append((due, minor))
    if not pairs:
        raise ValidationError("an empty schedule", field="due_schedule")
    if [d for d, _ in pairs] != sorted(d for d, _ in pairs):
        raise ValidationError("due schedule must be in date order", field="due_schedule")
    return json.dumps([[d.isoformat(), m] for d, m in pairs])


def _validate(df: pl.DataFrame, repo: ImportRepository) -> Checker:
    ck = Checker(df)
    ck.required(*SPEC.required)
    ck.max_length("external_id", 100)
    ck.max_length("creditor", 200)
    ck.duplicates("external_id")
    ck.one_of("product", [p.value for p in ProductKind])
    ck.currency("currency")
    ck.amount("original_amount", "currency")
    for column in ("due_date", "opened_on", "charge_off_date", "sol_date"):
        ck.date(column)
    ck.df = ck.df.with_columns(pl.col("jurisdiction").fill_null("US").str.to_uppercase())
    ck.matches("jurisdiction", r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", "not a jurisdiction code (US, US-MA, GB)")
    ck.one_of("status", [s.value for s in CaseStatus], default=CaseStatus.CURRENT.value)
    ck.flag(pl.col("due_date").is_null() & pl.col("due_schedule").is_null(), "due_date",
            "required unless due_schedule is given")
    _schedules(ck)
    customers = repo.lookup("customers", "external_id", ck.df["customer_external_id"].drop_nulls().to_list(),
                            ["external_id", "id"]).rename({"external_id": "customer_external_id", "id": "customer_id"})
    ck.df = ck.df.join(customers, on="customer_external_id", how="left", maintain_order="left")
    ck.flag(pl.col("customer_external_id").is_not_null() & pl.col("customer_id").is_null(), "customer_external_id",
            pl.format("unknown customer {}", pl.col("customer_external_id")))
    return ck


def _schedules(ck: Checker) -> None:
    """Parse explicit schedules in Python (rare, short); derive the single-date ones vectorised."""
    rows = ck.df.filter(pl.col("due_schedule").is_not_null() & pl.col("currency").is_not_null())
    parsed: list[str | None] = []
    problems: list[tuple[int, str, str]] = []
    for row, text, currency in rows.select("row", "due_schedule", "currency").iter_rows():
        try:
            parsed.append(parse_schedule(text, currency))
        except CupxError as exc:
            parsed.append(None)
            problems.append((row, "due_schedule", exc.message))
    ck.flag_rows(pl.DataFrame(problems, schema={"row": pl.Int64, "field": pl.String, "reason": pl.String},
                              orient="row"))
    explicit = pl.DataFrame({"row": rows["row"], "__schedule": pl.Series(parsed, dtype=pl.String)})
    single = pl.format('[["{}", {}]]', pl.col("due_date").dt.strftime("%Y-%m-%d"), pl.col("original_amount"))
    ck.df = ck.df.join(explicit, on="row", how="left", maintain_order="left").with_columns(
        pl.coalesce("__schedule", single).fill_null("[]").alias("due_schedule")).drop("__schedule")


def import_debts(df: pl.DataFrame, repo: ImportRepository, now: datetime,
                 progress: Callable[[str, int, int], None]) -> tuple[Checker, dict[str, int]]:
    """Validate and write a debts frame; returns the checker (problems) and the counts."""
    ck = _validate(df, repo)
    good = ck.good().rename({"original_amount": "original_minor"})
    progress("hashing", 0, good.height)
    text = good.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in _HASHED], separator="\x1f"))
    hashes = [hashlib.blake2b(t.encode(), digest_size=32).hexdigest() for t in text[:, 0]]
    good = good.with_columns(pl.Series("row_hash", hashes, dtype=pl.String))
    existing = repo.lookup("debts", "external_id", good["external_id"].to_list(), ["external_id", "id", "row_hash"])
    good = good.join(existing.rename({"row_hash": "__old_hash"}), on="external_id", how="left", maintain_order="left")
    new = good.filter(pl.col("id").is_null())
    changed = good.filter(pl.col("id").is_not_null() & (pl.col("__old_hash") != pl.col("row_hash")))
    unchanged = good.height - new.height - changed.height
    progress("writing", 0, new.height + changed.height)
    if new.height:
        first = repo.allocate_ids("debts", new.height)
        new = new.with_columns(pl.int_range(first, first + new.height, dtype=pl.Int64).alias("id"))
        repo.insert("debts", new.select(
            "id", *_HASHED, "status", pl.lit(now).alias("status_changed_at"), "row_hash",
            pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at")))
    repo.update("debts", changed.select("id", *[c for c in _HASHED if c != "external_id"], "row_hash",
                                        pl.lit(now).alias("updated_at")))
    progress("writing", new.height + changed.height, new.height + changed.height)
    return ck, {"inserted": new.height, "updated": changed.height, "unchanged": unchanged}

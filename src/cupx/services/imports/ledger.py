"""Importing ledger entries: append-only, validated as a whole frame, written in bulk.

Invariants:
- An entry belongs to a debt that exists; its currency is the debt's; amounts are positive minor units
  (an `adjustment` is signed, non-zero, and names its component).
- Entries are immutable: the same `external_id` with identical content is `unchanged`; with different
  content the row is rejected ("ledger entries are immutable; post a reversal").
- A `reversal` names its target by `reverses_external_id`: an entry already stored or an *earlier* row of
  the same file, on the same debt, not itself a reversal, not already reversed, and for the same amount
  (a reversal undoes the whole entry). It is stored with `reverses_id`.
- Ids are allocated in file order, so `id` order is posting order within a debt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import polars as pl

from cupx.domain.ledger import Component, EntryKind
from cupx.services.imports.checks import Checker
from cupx.services.imports.ports import ImportRepository
from cupx.services.imports.reading import FileSpec

__all__ = ["SPEC", "import_ledger"]

SPEC = FileSpec(
    "ledger",
    required=("external_id", "debt_external_id", "kind", "amount", "currency", "effective_date"),
    optional=("posted_at", "component", "reverses_external_id", "memo"),
)
_COMPARED = ["debt_id", "kind", "component", "amount_minor", "currency", "effective_date", "reverses_id", "memo"]
_IMPLIED = {EntryKind.CHARGE.value: Component.PRINCIPAL.value, EntryKind.FEE.value: Component.FEES.value,
            EntryKind.INTEREST.value: Component.INTEREST.value}


def _validate_fields(ck: Checker, now: datetime) -> None:
    ck.required(*SPEC.required)
    ck.max_length("external_id", 100)
    ck.max_length("memo", 500)
    ck.duplicates("external_id")
    ck.one_of("kind", [k.value for k in EntryKind])
    ck.currency("currency")
    ck.amount("amount", "currency", signed=True)
    kind, amount = pl.col("kind"), pl.col("amount")
    ck.flag((kind != EntryKind.ADJUSTMENT.value) & (amount < 0), "amount", "must be positive")
    ck.date("effective_date")
    ck.instant("posted_at")
    ck.df = ck.df.with_columns(pl.col("posted_at").fill_null(pl.lit(now)), pl.col("memo").fill_null(""),
                               pl.col("component").str.to_lowercase())
    comp = pl.col("component")
    is_adj = kind == EntryKind.ADJUSTMENT.value
    ck.flag(is_adj & comp.is_null(), "component", "an adjustment names its component (principal, interest, fees)")
    ck.flag(is_adj & comp.is_not_null() & ~comp.is_in([c.value for c in Component]), "component",
            "must be one of principal, interest, fees")
    implied = kind.replace_strict(_IMPLIED, default=None, return_dtype=pl.String)
    ck.flag(~is_adj & comp.is_not_null() & (implied.is_null() | (comp != implied)), "component",
            pl.format("a {} entry has no component of its own", kind))
    ck.df = ck.df.with_columns(pl.when(is_adj).then(comp).otherwise(None).alias("component"))
    rev = pl.col("reverses_external_id")
    ck.flag((kind == EntryKind.REVERSAL.value) & rev.is_null(), "reverses_external_id",
            "a reversal names the entry it reverses")
    ck.flag((kind != EntryKind.REVERSAL.value) & rev.is_not_null(), "reverses_external_id",
            "only a reversal names an entry to reverse")


def _resolve_debts(ck: Checker, repo: ImportRepository) -> None:
    debts = repo.lookup("debts", "external_id", ck.df["debt_external_id"].drop_nulls().to_list(),
                        ["external_id", "id", "currency"])
    ck.df = ck.df.join(debts.rename({"external_id": "debt_external_id", "id": "debt_id", "currency": "__debt_cur"}),
                       on="debt_external_id", how="left", maintain_order="left")
    ck.flag(pl.col("debt_external_id").is_not_null() & pl.col("debt_id").is_null(), "debt_external_id",
            pl.format("unknown debt {}", pl.col("debt_external_id")))
    ck.flag(pl.col("__debt_cur").is_not_null() & (pl.col("currency") != pl.col("__debt_cur")), "currency",
            pl.format("{} differs from the debt's currency {}", pl.col("currency"), pl.col("__debt_cur")))
    ck.df = ck.df.drop("__debt_cur")


def _targets(ck: Checker, stored: pl.DataFrame) -> pl.DataFrame:
    """One row per reversal: its target from the database or an earlier good row of the file."""
    good = ck.good()
    reversals = good.filter(pl.col("kind") == EntryKind.REVERSAL.value).select(
        "row", "reverses_external_id", "debt_id", "amount")
    in_file = good.select(pl.col("external_id").alias("reverses_external_id"), pl.col("row").alias("t_row"),
                          pl.col("debt_id").alias("t_debt"), pl.col("kind").alias("t_kind"),
                          pl.col("amount").abs().alias("t_amount"))
    in_db = stored.select(pl.col("external_id").alias("reverses_external_id"), pl.col("id").alias("t_id"),
                          pl.col("debt_id").alias("t_debt_db"), pl.col("kind").alias("t_kind_db"),
                          pl.col("amount_minor").abs().alias("t_amount_db"))
    return (reversals.join(in_db, on="reverses_external_id", how="left", maintain_order="left")
            .join(in_file, on="reverses_external_id", how="left", maintain_order="left")
            .with_columns(
                pl.col("t_id").is_not_null().alias("t_stored"),
                pl.coalesce("t_debt_db", "t_debt").alias("t_debt"), pl.coalesce("t_kind_db", "t_kind").alias("t_kind"),
                pl.coalesce("t_amount_db", "t_amount").alias("t_amount"))
            .drop("t_debt_db", "t_kind_db", "t_amount_db"))


def _check_reversals(ck: Checker, targets: pl.DataFrame, repo: ImportRepository, new_rows: pl.Series) -> None:
    t = targets.filter(pl.col("row").is_in(new_rows.implode()))
    found = pl.col("t_stored") | (pl.col("t_row").is_not_null() & (pl.col("t_row") < pl.col("row")))
    field, target = "reverses_external_id", pl.col("reverses_external_id")
    rules = [
        (~found & pl.col("t_row").is_not_null(), pl.format("reverses {}, a later row of this file", target)),
        (~found & pl.col("t_row").is_null(), pl.format("unknown or rejected entry {}", target)),
        (found & (pl.col("t_kind") == EntryKind.REVERSAL.value), pl.lit("a reversal cannot itself be reversed")),
        (found & (pl.col("t_debt") != pl.col("debt_id")), pl.format("entry {} belongs to another debt", target)),
        (found & (pl.col("t_amount") != pl.col("amount")),
         pl.format("amount must equal the reversed entry's ({} minor units)", pl.col("t_amount"))),
    ]
    for mask, reason in rules:
        bad = t.filter(mask.fill_null(False))
        ck.flag_rows(bad.select("row", pl.lit(field).alias("field"), reason.alias("reason")))
    stored_ids = t.filter(pl.col("t_stored"))["t_id"].to_list()
    done = repo.lookup("ledger_entries", "reverses_id", stored_ids, ["reverses_id"])["reverses_id"]
    ck.flag_rows(t.filter(pl.col("t_id").is_in(done.implode())).select(
        "row", pl.lit(field).alias("field"), pl.format("entry {} is already reversed", target).alias("reason")))
    twice = t.filter(pl.col("reverses_external_id").is_duplicated()
                     & (pl.col("row") != pl.col("row").min().over("reverses_external_id")))
    ck.flag_rows(twice.select("row", pl.lit(field).alias("field"),
                              pl.format("entry {} is reversed by an earlier row", target).alias("reason")))


def import_ledger(df: pl.DataFrame, repo: ImportRepository, now: datetime,
                  progress: Callable[[str, int, int], None]) -> tuple[Checker, dict[str, int]]:
    """Validate and write a ledger frame; returns the checker (problems) and the counts."""
    ck = Checker(df)
    _validate_fields(ck, now)
    _resolve_debts(ck, repo)
    progress("checking", 0, ck.df.height)
    ids = ck.df["external_id"].drop_nulls().to_list() + ck.df["reverses_external_id"].drop_nulls().to_list()
    stored = repo.lookup("ledger_entries", "external_id", ids, ["external_id", "id", *_COMPARED, "posted_at"])
    targets = _targets(ck, stored)
    ck.df = ck.df.join(targets.select("row", pl.col("t_id").alias("__t_id")), on="row", how="left",
                       maintain_order="left").rename({"amount": "amount_minor"})
    ck.df = ck.df.with_columns(pl.col("__t_id").alias("reverses_id")).drop("__t_id")
    unchanged = _compare_stored(ck, stored)
    good = ck.good()
    new_rows = good.filter(~pl.col("external_id").is_in(stored["external_id"].implode()))["row"]
    _check_reversals(ck, targets, repo, new_rows)
    new = ck.good().filter(pl.col("row").is_in(new_rows.implode()))
    progress("writing", 0, new.height)
    if new.height:
        first = repo.allocate_ids("ledger_entries", new.height)
        new = new.with_columns(pl.int_range(first, first + new.height, dtype=pl.Int64).alias("id"))
        in_file = new.select(pl.col("external_id").alias("reverses_external_id"), pl.col("id").alias("__rid"))
        new = new.join(in_file, on="reverses_external_id", how="left", maintain_order="left").with_columns(
            pl.coalesce("reverses_id", "__rid").alias("reverses_id"))
        repo.insert("ledger_entries", new.select(
            "id", "debt_id", "kind", "component", "amount_minor", "currency", "effective_date", "posted_at",
            "reverses_id", "external_id", pl.lit("import").alias("source"), "memo"))
    progress("writing", new.height, new.height)
    return ck, {"inserted": new.height, "updated": 0, "unchanged": unchanged}


def _compare_stored(ck: Checker, stored: pl.DataFrame) -> int:
    """Rows already stored: identical -> unchanged (counted), different -> rejected (immutable)."""
    if stored.height == 0:
        return 0
    mine = ck.good().join(stored.rename({c: f"db_{c}" for c in stored.columns if c != "external_id"}),
                          on="external_id", how="inner")
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"db_{c}")) for c in _COMPARED])
    ck.flag_rows(mine.filter(~same).select("row", pl.lit("external_id").alias("field"),
                                           pl.lit("ledger entries are immutable; post a reversal").alias("reason")))
    return mine.filter(same).height

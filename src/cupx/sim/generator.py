"""`generate(seed, accounts, as_of)`: a whole synthetic portfolio in CU-PX's own import formats.

The portfolio is four frames — customers, debts, ledger, contacts — exactly as `cupx import` reads
them (docs/imports.md), plus a small `sim.json` (seed, size, start date) so `cupx sim run` can rebuild
the customers' latent traits (`cupx.sim.personas`) without storing them.

Invariants: the same (seed, accounts, as_of) gives byte-identical files; `accounts` is the number of
customers; a customer whose history has a dispute starts with all their debts `disputed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from cupx.sim.accounts import debts_and_ledger, major
from cupx.sim.history import contacts_frame
from cupx.sim.people import customers_frame

__all__ = ["DEFAULT_AS_OF", "FILES", "Portfolio", "generate", "read_meta", "write"]

DEFAULT_AS_OF = date(2026, 9, 1)
FILES = ("customers", "debts", "ledger", "contacts")  # import order: each refers to the ones before


@dataclass(frozen=True, slots=True)
class Portfolio:
    seed: int
    as_of: date
    customers: pl.DataFrame
    debts: pl.DataFrame  # with helper columns `owner` (customer index) and `dpd`
    ledger: pl.DataFrame
    contacts: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        """The four import files' contents, in import order, with helper columns dropped."""
        debts = self.debts.select(
            "external_id", "customer_external_id", "creditor", "product", "currency",
            major(pl.col("original_minor")).alias("original_amount"), "due_date", "opened_on",
            "charge_off_date", "sol_date", "jurisdiction", "status")
        customers = self.customers.select(pl.exclude("^_.*$"))
        return {"customers": customers, "debts": debts, "ledger": self.ledger, "contacts": self.contacts}

    def customers_jsonl(self) -> pl.DataFrame:
        """Customers with nested `phones` and `emails` carrying provenance (the JSON Lines form)."""
        c = self.customers
        blank = [k for k in c.columns if c.schema[k] == pl.Utf8]
        phone = pl.struct(number=pl.col("phone"), type=pl.col("phone_type"),
                          tcpa_consent=pl.col("phone_tcpa_consent") == "true", provenance=pl.col("_phone_provenance"))
        email = pl.struct(address=pl.col("email"), provenance=pl.col("_email_provenance"))
        return c.with_columns(
            pl.when(pl.col("phone") != "").then(pl.concat_list([phone])).alias("phones"),
            pl.when(pl.col("email") != "").then(pl.concat_list([email])).alias("emails"),
        ).with_columns(pl.when(pl.col(k) != "").then(pl.col(k)).alias(k) for k in blank).select(
            pl.exclude("phone", "phone_type", "phone_tcpa_consent", "email", "^_.*$"))


def generate(seed: int, accounts: int, as_of: date = DEFAULT_AS_OF) -> Portfolio:
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    customers = customers_frame(seed, accounts, as_of)
    debts, ledger = debts_and_ledger(seed, customers, as_of)
    contacts = contacts_frame(seed, customers, debts, as_of)
    disputed = contacts.filter(pl.col("type") == "dispute")["customer_external_id"]
    debts = debts.with_columns(
        pl.when(pl.col("customer_external_id").is_in(disputed.implode()))
        .then(pl.lit("disputed")).otherwise(pl.col("status")).alias("status"))
    return Portfolio(seed, as_of, customers, debts, ledger, contacts)


def write(portfolio: Portfolio, out_dir: Path, customers_format: str = "csv") -> dict[str, Path]:
    """Write `<kind>.csv` for each import kind (customers as `customers.jsonl` with nested contact points
    and their provenance when `customers_format` is "jsonl") and `sim.json`; returns the paths in import
    order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, frame in portfolio.frames().items():
        if kind == "customers" and customers_format == "jsonl":
            path = out_dir / "customers.jsonl"
            portfolio.customers_jsonl().with_columns(pl.col(pl.Date).dt.strftime("%Y-%m-%d")).write_ndjson(path)
        else:
            path = out_dir / f"{kind}.csv"
            frame.write_csv(path, date_format="%Y-%m-%d", null_value="")
        paths[kind] = path
    meta = {"seed": portfolio.seed, "accounts": portfolio.customers.height, "debts": portfolio.debts.height,
            "as_of": portfolio.as_of.isoformat()}
    (out_dir / "sim.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return paths


def read_meta(out_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out_dir / "sim.json").read_text(encoding="utf-8"))
    return data

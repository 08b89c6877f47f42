"""Synthetic debts and their ledger history, in the `debts` and `ledger` import formats.

Each customer has one to three debts across several products (credit card, personal loan, telecom,
utility, B2B invoice); GB customers' debts are in GBP under jurisdiction GB, MA/WA/NY customers' under
their state's jurisdiction. Days past due follow a mixture over the usual buckets, and
a third of the book is not due yet: it falls due during the simulation. The ledger holds the
principal charge, late fees on part of the book and earlier partial payments, so balances and payment
histories differ; a debt never starts with a balance at or below zero.

Invariant: deterministic in (seed, customers, as_of); amounts are integer minor units, written as
decimal strings in major units.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

__all__ = ["PRODUCTS", "debts_and_ledger", "major"]

# product -> (share of debts, lognormal median in major units, sigma, creditor)
PRODUCTS: dict[str, tuple[float, float, float, str]] = {
    "credit_card": (0.36, 2200.0, 0.8, "Northwind Card Services"),
    "personal_loan": (0.18, 5500.0, 0.7, "Contoso Lending"),
    "telecom": (0.2, 180.0, 0.6, "Fabrikam Mobile"),
    "utility": (0.16, 320.0, 0.6, "Tailspin Energy"),
    "b2b_invoice": (0.1, 7500.0, 0.9, "Litware Wholesale"),
}
# DPD buckets: (share, low, high) days past due
# The first row is the current book falling due during the simulation (negative DPD: days before due).
_DPD = ((0.3, -45, -1), (0.24, 1, 30), (0.16, 31, 60), (0.1, 61, 90), (0.12, 91, 180), (0.08, 181, 360))
_STATE_JURISDICTIONS = ("MA", "WA", "NY")


def major(minor: pl.Expr) -> pl.Expr:
    """Minor units (2-decimal currencies) as a decimal string in major units."""
    sign = pl.when(minor < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    a = minor.abs()
    return pl.concat_str([sign, (a // 100).cast(pl.Utf8), pl.lit("."),
                          (a % 100).cast(pl.Utf8).str.zfill(2)])


def _debts_per_customer(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(np.array([1, 2, 3]), size=n, p=[0.74, 0.2, 0.06])


def _dpd(rng: np.random.Generator, m: int) -> np.ndarray:
    shares = np.array([b[0] for b in _DPD])
    bucket = rng.choice(len(_DPD), size=m, p=shares / shares.sum())
    lo = np.array([b[1] for b in _DPD])[bucket]
    hi = np.array([b[2] for b in _DPD])[bucket]
    return lo + (rng.random(m) * (hi - lo + 1)).astype(np.int64)


def _debts(rng: np.random.Generator, customers: pl.DataFrame, as_of: date) -> pl.DataFrame:
    per = _debts_per_customer(rng, customers.height)
    owner = np.repeat(np.arange(customers.height), per)
    m = owner.shape[0]
    names = list(PRODUCTS)
    shares = np.array([PRODUCTS[p][0] for p in names])
    product = rng.choice(len(names), size=m, p=shares / shares.sum())
    median = np.array([PRODUCTS[p][1] for p in names])[product]
    sigma = np.array([PRODUCTS[p][2] for p in names])[product]
    original = np.maximum(np.rint(np.exp(np.log(median * 100) + sigma * rng.standard_normal(m))), 2500).astype(np.int64)
    dpd = _dpd(rng, m)
    base = np.datetime64(as_of.isoformat(), "D")
    due = base - dpd
    opened = due - rng.integers(60, 1500, m)
    owners = customers.select("external_id", "country", "state")[owner]
    gb = pl.col("country") == "GB"
    charged_off = dpd > 180
    text = owners.select(
        pl.lit(pl.Series(owner)).alias("owner"),
        pl.format("ACC{}", pl.int_range(m, dtype=pl.Int64).cast(pl.Utf8).str.zfill(9)).alias("external_id"),
        pl.col("external_id").alias("customer_external_id"),
        pl.lit(pl.Series([PRODUCTS[p][3] for p in names]).gather(product)).alias("creditor"),
        pl.lit(pl.Series(names).gather(product)).alias("product"),
        pl.when(gb).then(pl.lit("GBP")).otherwise(pl.lit("USD")).alias("currency"),
        pl.when(gb).then(pl.lit("GB")).when(pl.col("state").is_in(_STATE_JURISDICTIONS))
        .then(pl.concat_str([pl.lit("US-"), pl.col("state")])).otherwise(pl.lit("US")).alias("jurisdiction"),
        pl.when(pl.lit(pl.Series(dpd)) > 0).then(pl.lit("delinquent")).otherwise(pl.lit("current")).alias("status"),
    )
    numbers = pl.DataFrame({
        "original_minor": original,
        "due_date": due,
        "opened_on": opened,
        "charge_off_date": np.where(charged_off, due + 180, np.datetime64("NaT")),
        "sol_date": due + 6 * 365,
        "dpd": dpd,
    })
    return pl.concat([text, numbers], how="horizontal").select(
        "owner", "external_id", "customer_external_id", "creditor", "product", "currency", "original_minor",
        "due_date", "opened_on", "charge_off_date", "sol_date", "jurisdiction", "status", "dpd")


def _ledger(rng: np.random.Generator, debts: pl.DataFrame, as_of: date) -> pl.DataFrame:
    m = debts.height
    original = debts["original_minor"].to_numpy()
    due = debts["due_date"].to_numpy()
    opened = debts["opened_on"].to_numpy()
    dpd = debts["dpd"].to_numpy()
    fee = rng.random(m) < 0.35
    fee_minor = rng.integers(1500, 4000, m)
    paid = rng.random(m) < 0.28
    paid_minor = (original * rng.uniform(0.03, 0.35, m)).astype(np.int64)
    paid_on = due + (rng.random(m) * np.maximum(dpd - 1, 0)).astype(np.int64)
    ids = debts["external_id"]
    parts = [
        pl.DataFrame({"debt_external_id": ids, "kind": "charge", "amount_minor": original,
                      "effective_date": opened, "suffix": "C"}),
        pl.DataFrame({"debt_external_id": ids, "kind": "fee", "amount_minor": fee_minor,
                      "effective_date": due + 15, "suffix": "F"}).filter(pl.Series(fee & (dpd > 15))),
        pl.DataFrame({"debt_external_id": ids, "kind": "payment", "amount_minor": paid_minor,
                      "effective_date": paid_on, "suffix": "P"}).filter(pl.Series(paid & (dpd > 3))),
    ]
    cur = debts.select("external_id", "currency").rename({"external_id": "debt_external_id"})
    out = pl.concat(parts).join(cur, on="debt_external_id", how="left")
    return out.select(
        pl.concat_str([pl.col("debt_external_id"), pl.lit("-"), pl.col("suffix")]).alias("external_id"),
        "debt_external_id", "kind", major(pl.col("amount_minor")).alias("amount"), "currency",
        # known since noon UTC of its effective day: history must not look posted "today" to the cycle
        "effective_date", pl.concat_str([pl.col("effective_date").dt.strftime("%Y-%m-%d"),
                                         pl.lit("T12:00:00+00:00")]).alias("posted_at"), pl.lit("").alias("component"),
        pl.lit("").alias("reverses_external_id"), pl.lit("simulated history").alias("memo"),
    ).sort("external_id")


def debts_and_ledger(seed: int, customers: pl.DataFrame, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(debts with helper columns `owner` and `dpd`, ledger) for the customers frame."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    debts = _debts(rng, customers, as_of)
    return debts, _ledger(rng, debts, as_of)

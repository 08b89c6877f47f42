"""A deterministic synthetic portfolio written straight into the database with the bulk helper.

Used by the cycle's integration tests and by bench/cycle.py (not through the CSV importer, so the
benchmark measures the cycle). `seed_portfolio(conn, n, as_of, seed)` writes about 0.8n customers with
phones, emails and addresses, n debts (cards, telecom, B2B invoices) due between 5 days ahead and 120
days ago, ledger history (charges, part payments, a few full payments and reversals) and 3n contact
events in the 40 days before `as_of`. The same arguments always give the same rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
from sqlalchemy import Connection

from cupx.adapters.bulk import allocate_ids, bulk_insert

__all__ = ["seed_portfolio"]

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
         "America/New_York,America/Chicago", "America/Los_Angeles,Pacific/Honolulu"]
PRODUCTS = ["credit_card", "personal_loan", "telecom", "utility", "b2b_invoice"]
EVENT_TYPES = ["text_sent", "email_sent", "call_placed", "letter_sent"]
CHANNELS = {"text_sent": "sms", "email_sent": "email", "call_placed": "call", "letter_sent": "letter"}


def _customers(rng: np.random.Generator, first: int, c: int, as_of: date, now: datetime) -> pl.DataFrame:
    ids = np.arange(first, first + c)
    flags = rng.choice(["", "vulnerable", "deceased", "bankruptcy", "hardship"], size=c,
                       p=[0.95, 0.03, 0.005, 0.005, 0.01])
    since = np.datetime64(as_of, "D") - rng.integers(30, 4000, size=c).astype("timedelta64[D]")
    return pl.DataFrame({
        "id": ids, "name_enc": [b"\x00synthetic"] * c,
        "preferred_language": rng.choice(["en", "es"], size=c, p=[0.85, 0.15]), "flags": flags,
        "tz_candidates": rng.choice(ZONES, size=c), "customer_since": since, "row_hash": ["x"] * c,
        "created_at": [now] * c, "updated_at": [now] * c,
    }).with_columns(external_id=pl.lit("C") + pl.col("id").cast(pl.String))


def _contact_points(conn: Connection, rng: np.random.Generator, cust: pl.DataFrame) -> None:
    ids = cust["id"].to_numpy()
    for table, share, extra in (
            ("customer_phones", 0.7, {"type": "mobile", "number_enc": b"\x00", "number_hash": None}),
            ("customer_emails", 0.6, {"address_enc": b"\x00", "address_hash": None}),
            ("customer_addresses", 0.95, {"line1_enc": b"\x00", "city_enc": b"\x00", "postal_code": "60601"})):
        chosen = ids[rng.random(len(ids)) < share]
        cols: dict[str, object] = {"customer_id": chosen}
        for k, v in extra.items():
            cols[k] = [f"h{i}" for i in chosen] if v is None else [v] * len(chosen)
        bulk_insert(conn, table, pl.DataFrame(cols))


def _debts(rng: np.random.Generator, first: int, n: int, cust_ids: np.ndarray, as_of: date,
           now: datetime) -> pl.DataFrame:
    ids = np.arange(first, first + n)
    owner = cust_ids[np.concatenate([np.arange(len(cust_ids)), rng.integers(0, len(cust_ids), n - len(cust_ids))])]
    dpd = rng.integers(-5, 121, size=n)
    amount = (rng.lognormal(10, 1.0, size=n)).astype(np.int64) + 1_000
    due = np.datetime64(as_of, "D") - dpd.astype("timedelta64[D]")
    status = rng.choice(["delinquent", "disputed"], size=n, p=[0.99, 0.01])
    return pl.DataFrame({
        "id": ids, "customer_id": owner, "creditor": ["Acme"] * n,
        "product": rng.choice(PRODUCTS, size=n, p=[0.45, 0.15, 0.2, 0.05, 0.15]), "currency": ["USD"] * n,
        "original_minor": amount, "status": status, "row_hash": ["x"] * n, "created_at": [now] * n,
        "updated_at": [now] * n, "_due": due,
    }).with_columns(
        external_id=pl.lit("D") + pl.col("id").cast(pl.String),
        due_schedule=pl.format('[["{}", {}]]', pl.col("_due").dt.strftime("%Y-%m-%d"), pl.col("original_minor")),
    )


def _ledger(conn: Connection, rng: np.random.Generator, debts: pl.DataFrame, as_of: date, now: datetime) -> None:
    n = debts.height
    charges = debts.select(pl.col("id").alias("debt_id"), pl.lit("charge").alias("kind"),
                           pl.col("original_minor").alias("amount_minor"), pl.lit("USD").alias("currency"),
                           (pl.col("_due") - pl.duration(days=30)).alias("effective_date"))
    r = rng.random(n)
    share = np.where(r < 0.05, 1.0, np.where(r < 0.35, 0.3, 0.0))
    paid = debts.with_columns(amount_minor=(pl.Series(share) * pl.col("original_minor")).cast(pl.Int64),
                              effective_date=pl.Series(np.datetime64(as_of, "D")
                                                       - rng.integers(1, 80, n).astype("timedelta64[D]")))
    paid = paid.filter(pl.col("amount_minor") > 0).select(
        pl.col("id").alias("debt_id"), pl.lit("payment").alias("kind"), "amount_minor",
        pl.lit("USD").alias("currency"), "effective_date")
    rows = pl.concat([charges, paid]).with_columns(posted_at=pl.lit(now).cast(pl.Datetime("us", "UTC")),
                                                  source=pl.lit("sim"))
    first = allocate_ids(conn, "ledger_entries", rows.height)
    rows = rows.with_columns(id=pl.int_range(first, first + rows.height, dtype=pl.Int64))
    bulk_insert(conn, "ledger_entries", rows)
    pays = rows.filter(pl.col("kind") == "payment")
    rev = pays.head(max(1, pays.height // 50)).select(
        pl.col("debt_id"), pl.lit("reversal").alias("kind"), "amount_minor", "currency",
        pl.lit(as_of - timedelta(days=1)).alias("effective_date"), "posted_at", "source",
        pl.col("id").alias("reverses_id"))
    if pays.height:
        bulk_insert(conn, "ledger_entries", rev)


def _events(conn: Connection, rng: np.random.Generator, debts: pl.DataFrame, as_of: date) -> None:
    m = 3 * debts.height
    pick = rng.integers(0, debts.height, m)
    types = rng.choice(EVENT_TYPES, size=m, p=[0.4, 0.3, 0.25, 0.05])
    end = np.datetime64(datetime.combine(as_of, datetime.min.time()), "us")
    at = end - rng.integers(3600, 40 * 86400, m).astype("timedelta64[s]").astype("timedelta64[us]")
    right = (types == "call_placed") & (rng.random(m) < 0.3)
    frame = pl.DataFrame({
        "customer_id": debts["customer_id"].to_numpy()[pick], "debt_id": debts["id"].to_numpy()[pick],
        "type": types, "at": at, "right_party": right,
    }).with_columns(
        pl.col("at").dt.replace_time_zone("UTC"),
        channel=pl.col("type").replace_strict(CHANNELS),
        outcome=pl.when(pl.col("right_party")).then(pl.lit("answered"))
        .when(pl.col("type") == "call_placed").then(pl.lit("no_answer")),
    )
    for start in range(0, m, 1_000_000):  # bounded memory for the driver's text of one chunk
        bulk_insert(conn, "contact_events", frame.slice(start, 1_000_000))


def seed_portfolio(conn: Connection, n: int, as_of: date, seed: int = 7) -> dict[str, int]:
    """Write the portfolio in the caller's transaction; returns row counts."""
    rng = np.random.default_rng(seed)
    now = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC) - timedelta(hours=1)
    c = max(1, int(n * 0.8))
    cust = _customers(rng, allocate_ids(conn, "customers", c), c, as_of, now)
    bulk_insert(conn, "customers", cust)
    _contact_points(conn, rng, cust)
    debts = _debts(rng, allocate_ids(conn, "debts", n), n, cust["id"].to_numpy(), as_of, now)
    bulk_insert(conn, "debts", debts.drop("_due"))
    _ledger(conn, rng, debts, as_of, now)
    _events(conn, rng, debts, as_of)
    return {"customers": c, "debts": n, "contact_events": 3 * n}

"""Synthetic customers in the `customers` import format (docs/imports.md), built column-wise.

Names, streets and GB postcodes come from small Faker pools (seeded) combined by numpy indices, so a
million customers cost no more than a few thousand Faker calls. US customers get a ZIP of their state
and a phone whose area code serves that ZIP (`cupx.sim.geo`); a GB slice has UK addresses and mobiles.

Invariant: `customers_frame(seed, n, as_of)` is deterministic in its arguments.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from faker import Faker

from cupx.sim.geo import state_pools

__all__ = ["GB_SHARE", "customer_ids", "customers_frame"]

GB_SHARE = 0.06  # customers living in Great Britain (GBP debts, jurisdiction GB)
_FLAGS = (("vulnerable", 0.05), ("hardship", 0.02), ("military", 0.01), ("attorney_represented", 0.004),
          ("bankruptcy", 0.004), ("deceased", 0.002))


def customer_ids(n: int) -> pl.Series:
    return pl.select(pl.format("CUS{}", pl.int_range(n, dtype=pl.Int64).cast(pl.Utf8).str.zfill(8))
                     .alias("external_id")).to_series()


def _pool(fake: Faker, method: str, size: int) -> pl.Series:
    return pl.Series([getattr(fake, method)() for _ in range(size)], dtype=pl.Utf8)


def _pick(pool: pl.Series, idx: np.ndarray) -> pl.Expr:
    return pl.lit(pool.gather(idx))


def _names(rng: np.random.Generator, seed: int, n: int) -> tuple[pl.Series, ...]:
    """(US first, US last, GB first, GB last) name columns for every customer."""
    us, uk = _seeded("en_US", seed), _seeded("en_GB", seed + 1)
    first_us, last_us = _pool(us, "first_name", 600), _pool(us, "last_name", 1000)
    first_gb, last_gb = _pool(uk, "first_name", 300), _pool(uk, "last_name", 500)
    return (first_us.gather(rng.integers(0, 600, n)), last_us.gather(rng.integers(0, 1000, n)),
            first_gb.gather(rng.integers(0, 300, n)), last_gb.gather(rng.integers(0, 500, n)))


def _zip_table() -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """All ZIPs of the table's states in one frame, with each state's offset, size and weight."""
    pools = state_pools()
    frame = pl.DataFrame({
        "state": [p.state for p in pools for _ in p.zips], "zip": [z for p in pools for z in p.zips],
        "city": [c for p in pools for c in p.cities], "area": [a for p in pools for a in p.area_codes]})
    sizes = np.array([len(p.zips) for p in pools])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return frame, offsets, sizes, np.array([p.weight for p in pools])


def _us_geo(rng: np.random.Generator, n: int) -> pl.DataFrame:
    table, offsets, sizes, weights = _zip_table()
    state_idx = rng.choice(sizes.size, size=n, p=weights / weights.sum())
    rows = offsets[state_idx] + (rng.random(n) * sizes[state_idx]).astype(np.int64)
    return table[rows]


def _flags(rng: np.random.Generator, n: int) -> pl.Expr:
    parts = [pl.when(_s(rng.random(n) < share, pl.Boolean)).then(pl.lit(name)).otherwise(pl.lit(""))
             for name, share in _FLAGS]
    return pl.concat_str(parts, separator=";").str.replace_all(";+", ";").str.strip_chars(";")


def _s(values: np.ndarray, dtype: pl.DataType = pl.Utf8) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype))


def _i(values: np.ndarray) -> pl.Expr:
    """Integers as text, converted by Polars (much faster than numpy string arrays)."""
    return pl.lit(pl.Series(values)).cast(pl.Utf8)


def _address_exprs(rng: np.random.Generator, seed: int, n: int, gb: pl.Expr) -> dict[str, pl.Expr]:
    """US addresses with a ZIP of their state; GB ones with a UK postcode and town."""
    geo = _us_geo(rng, n)
    uk = _seeded("en_GB", seed + 2)
    postcodes, cities = _pool(uk, "postcode", 400), _pool(uk, "city", 400)
    gb_pick = rng.integers(0, 400, n)
    streets = _pool(_seeded("en_US", seed + 3), "street_name", 800)
    street = streets.gather(rng.integers(0, 800, n))
    apt = np.where(rng.random(n) < 0.15, rng.integers(1, 400, n), 0)
    return {
        "address_line1": pl.concat_str([_i(rng.integers(1, 9999, n)), pl.lit(street)], separator=" "),
        "address_line2": pl.when(_s(apt > 0, pl.Boolean)).then(pl.concat_str([pl.lit("Apt "), _i(apt)]))
        .otherwise(pl.lit("")),
        "city": pl.when(gb).then(pl.lit(cities.gather(gb_pick))).otherwise(pl.lit(geo["city"])),
        "state": pl.when(gb).then(pl.lit("")).otherwise(pl.lit(geo["state"])),
        "postal_code": pl.when(gb).then(pl.lit(postcodes.gather(gb_pick))).otherwise(pl.lit(geo["zip"])),
        "country": pl.when(gb).then(pl.lit("GB")).otherwise(pl.lit("US")),
        "_area": pl.lit(geo["area"]),
    }


def _phone_exprs(rng: np.random.Generator, n: int, gb: pl.Expr, area: pl.Expr) -> dict[str, pl.Expr]:
    """A phone whose area code serves the customer's ZIP (US) or a UK mobile; TCPA consent on ~70%."""
    exchange = rng.integers(200, 990, n)
    exchange = np.where(exchange % 100 == 11, exchange + 1, exchange)  # no N11 exchanges
    us_phone = pl.concat_str([pl.lit("+1"), area, _i(exchange), _i(rng.integers(1000, 10000, n))])
    # UK mobiles from 074xx-075xx and 077xx-079xx, skipping ranges phonenumbers does not know (0770x, 0791x)
    blocks = np.array([b for b in range(740, 800) if not 760 <= b <= 770 and b != 791])
    uk_prefix = blocks[rng.integers(0, blocks.size, n)] * 10 + rng.integers(0, 10, n)
    gb_phone = pl.concat_str([pl.lit("+44"), _i(uk_prefix), _i(rng.integers(100000, 1000000, n))])
    has_phone = rng.random(n) < 0.93
    phone_type = pl.Series(["mobile", "residential_landline", "work"]).gather(
        rng.choice(3, size=n, p=[0.78, 0.17, 0.05]))
    consent = _s((rng.random(n) < 0.7) & has_phone, pl.Boolean)
    has = _s(has_phone, pl.Boolean)
    return {
        "phone": pl.when(has).then(pl.when(gb).then(gb_phone).otherwise(us_phone)).otherwise(pl.lit("")),
        "phone_type": pl.when(has).then(pl.when(gb).then(pl.lit("mobile")).otherwise(pl.lit(phone_type)))
        .otherwise(pl.lit("")),
        "phone_tcpa_consent": pl.when(has).then(pl.when(consent).then(pl.lit("true")).otherwise(pl.lit("false")))
        .otherwise(pl.lit("")),
        # consenting mobiles gave consent to the creditor (JSON Lines only, see `Portfolio.customers_jsonl`)
        "_phone_provenance": pl.when(consent).then(pl.lit("consumer_consent")).otherwise(pl.lit("creditor_provided")),
    }


def _email_exprs(rng: np.random.Generator, n: int, full_name: pl.Expr) -> dict[str, pl.Expr]:
    """first.last<n>@example.* for ~78%; most were used by the customer to write to the creditor."""
    has = _s(rng.random(n) < 0.78, pl.Boolean)
    domains = pl.Series(["example.com", "example.org", "example.net"]).gather(rng.integers(0, 3, n))
    address = pl.concat_str([full_name.str.to_lowercase().str.replace_all(" ", "."), _i(rng.integers(1, 999, n)),
                             pl.lit("@"), pl.lit(domains)])
    return {"email": pl.when(has).then(address).otherwise(pl.lit("")),
            "_email_provenance": pl.when(_s(rng.random(n) < 0.7, pl.Boolean)).then(pl.lit("consumer_used"))
            .otherwise(pl.lit("creditor_notice"))}


def customers_frame(seed: int, n: int, as_of: date) -> pl.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    gb = _s(rng.random(n) < GB_SHARE, pl.Boolean)
    f_us, l_us, f_gb, l_gb = _names(rng, seed, n)
    full_name = pl.when(gb).then(pl.concat_str([pl.lit(f_gb), pl.lit(l_gb)], separator=" ")).otherwise(
        pl.concat_str([pl.lit(f_us), pl.lit(l_us)], separator=" "))
    address = _address_exprs(rng, seed, n, gb)
    phone = _phone_exprs(rng, n, gb, address.pop("_area"))
    email = _email_exprs(rng, n, full_name)
    base = np.datetime64(as_of.isoformat(), "D")
    born = _s(base - rng.integers(21 * 365, 80 * 365, n), pl.Date)
    since = _s(base - rng.integers(60, 15 * 365, n), pl.Date)
    spanish, stated = _s(rng.random(n) < 0.12, pl.Boolean), _s(rng.random(n) < 0.02, pl.Boolean)
    columns = {
        "full_name": full_name, "date_of_birth": born,
        "preferred_language": pl.when(~gb & spanish).then(pl.lit("es")).otherwise(pl.lit("en")),
        "phone": phone["phone"], "phone_type": phone["phone_type"], "phone_tcpa_consent": phone["phone_tcpa_consent"],
        "email": email["email"], **address, "flags": _flags(rng, n), "customer_since": since,
        "stated_time_zone": pl.when(stated).then(
            pl.when(gb).then(pl.lit("Europe/London")).otherwise(pl.lit("America/Chicago"))).otherwise(pl.lit("")),
        "_email_provenance": email["_email_provenance"], "_phone_provenance": phone["_phone_provenance"],
    }
    return pl.DataFrame({"external_id": customer_ids(n)}).with_columns(e.alias(k) for k, e in columns.items())


def _seeded(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake

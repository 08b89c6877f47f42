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


def customers_frame(seed: int, n: int, as_of: date) -> pl.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    gb = _s(rng.random(n) < GB_SHARE, pl.Boolean)
    f_us, l_us, f_gb, l_gb = _names(rng, seed, n)
    geo = _us_geo(rng, n)
    uk = _seeded("en_GB", seed + 2)
    postcodes, cities = _pool(uk, "postcode", 400), _pool(uk, "city", 400)
    gb_pick = rng.integers(0, 400, n)
    streets = _pool(_seeded("en_US", seed + 3), "street_name", 800)
    number = rng.integers(1, 9999, n)
    street = streets.gather(rng.integers(0, 800, n))
    apt = np.where(rng.random(n) < 0.15, rng.integers(1, 400, n), 0)
    exchange = rng.integers(200, 990, n)
    exchange = np.where(exchange % 100 == 11, exchange + 1, exchange)  # no N11 exchanges
    line = rng.integers(1000, 10000, n)
    # UK mobiles from 074xx-075xx and 077xx-079xx, skipping ranges phonenumbers does not know (0770x, 0791x)
    blocks = np.array([b for b in range(740, 800) if not 760 <= b <= 770 and b != 791])
    uk_prefix = blocks[rng.integers(0, blocks.size, n)] * 10 + rng.integers(0, 10, n)
    uk_line = rng.integers(100000, 1000000, n)
    has_phone = rng.random(n) < 0.93
    phone_type = pl.Series(["mobile", "residential_landline", "work"]).gather(
        rng.choice(3, size=n, p=[0.78, 0.17, 0.05]))
    consent = (rng.random(n) < 0.7) & has_phone
    has_email = rng.random(n) < 0.78
    email_n = rng.integers(1, 999, n)
    domains = pl.Series(["example.com", "example.org", "example.net"]).gather(rng.integers(0, 3, n))
    dob_days = rng.integers(21 * 365, 80 * 365, n)
    since_days = rng.integers(60, 15 * 365, n)
    spanish = rng.random(n) < 0.12
    stated = rng.random(n) < 0.02
    base = np.datetime64(as_of.isoformat(), "D")
    full_name = pl.when(gb).then(pl.concat_str([pl.lit(f_gb), pl.lit(l_gb)], separator=" ")).otherwise(
        pl.concat_str([pl.lit(f_us), pl.lit(l_us)], separator=" "))
    us_phone = pl.concat_str([pl.lit("+1"), pl.lit(geo["area"]), _i(exchange), _i(line)])
    gb_phone = pl.concat_str([pl.lit("+44"), _i(uk_prefix), _i(uk_line)])
    has_phone_e, has_email_e = _s(has_phone, pl.Boolean), _s(has_email, pl.Boolean)
    frame = pl.DataFrame({"external_id": customer_ids(n)}).with_columns(
        full_name.alias("full_name"),
        _s(base - dob_days, pl.Date).alias("date_of_birth"),
        pl.when(~gb & _s(spanish, pl.Boolean)).then(pl.lit("es")).otherwise(pl.lit("en")).alias("preferred_language"),
        pl.when(has_phone_e).then(pl.when(gb).then(gb_phone).otherwise(us_phone)).otherwise(pl.lit(""))
        .alias("phone"),
        pl.when(has_phone_e).then(pl.when(gb).then(pl.lit("mobile")).otherwise(pl.lit(phone_type)))
        .otherwise(pl.lit("")).alias("phone_type"),
        pl.when(has_phone_e).then(pl.when(_s(consent, pl.Boolean)).then(pl.lit("true")).otherwise(pl.lit("false")))
        .otherwise(pl.lit("")).alias("phone_tcpa_consent"),
        pl.when(has_email_e).then(pl.concat_str([
            full_name.str.to_lowercase().str.replace_all(" ", "."), _i(email_n), pl.lit("@"),
            pl.lit(domains)])).otherwise(pl.lit("")).alias("email"),
        pl.concat_str([_i(number), pl.lit(street)], separator=" ").alias("address_line1"),
        pl.when(_s(apt > 0, pl.Boolean)).then(pl.concat_str([pl.lit("Apt "), _i(apt)]))
        .otherwise(pl.lit("")).alias("address_line2"),
        pl.when(gb).then(pl.lit(cities.gather(gb_pick))).otherwise(pl.lit(geo["city"])).alias("city"),
        pl.when(gb).then(pl.lit("")).otherwise(pl.lit(geo["state"])).alias("state"),
        pl.when(gb).then(pl.lit(postcodes.gather(gb_pick))).otherwise(pl.lit(geo["zip"])).alias("postal_code"),
        pl.when(gb).then(pl.lit("GB")).otherwise(pl.lit("US")).alias("country"),
        _flags(rng, n).alias("flags"),
        _s(base - since_days, pl.Date).alias("customer_since"),
        pl.when(_s(stated, pl.Boolean)).then(pl.when(gb).then(pl.lit("Europe/London"))
                                              .otherwise(pl.lit("America/Chicago"))).otherwise(pl.lit(""))
        .alias("stated_time_zone"),
        # Provenance of the contact points (JSON Lines only; Reg F electronic-communication procedures):
        # most e-mail addresses were used by the customer to write to the creditor; consenting mobiles
        # gave consent to the creditor.
        pl.when(_s(rng.random(n) < 0.7, pl.Boolean)).then(pl.lit("consumer_used")).otherwise(
            pl.lit("creditor_notice")).alias("_email_provenance"),
        pl.when(_s(consent, pl.Boolean)).then(pl.lit("consumer_consent")).otherwise(
            pl.lit("creditor_provided")).alias("_phone_provenance"),
    )
    return frame


def _seeded(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake

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
    return pl.Series("external_id", [f"CUS{i:08d}" for i in range(n)])


def _pool(fake: Faker, method: str, size: int) -> np.ndarray:
    return np.array([getattr(fake, method)() for _ in range(size)], dtype=object)


def _names(rng: np.random.Generator, seed: int, n: int, gb: np.ndarray) -> np.ndarray:
    us, uk = Faker("en_US"), Faker("en_GB")
    us.seed_instance(seed)
    uk.seed_instance(seed + 1)
    first_us, last_us = _pool(us, "first_name", 600), _pool(us, "last_name", 1000)
    first_gb, last_gb = _pool(uk, "first_name", 300), _pool(uk, "last_name", 500)
    f_us, l_us = first_us[rng.integers(0, 600, n)], last_us[rng.integers(0, 1000, n)]
    f_gb, l_gb = first_gb[rng.integers(0, 300, n)], last_gb[rng.integers(0, 500, n)]
    first = np.where(gb, f_gb, f_us)
    last = np.where(gb, l_gb, l_us)
    return first + " " + last


def _us_geo(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    pools = state_pools()
    weights = np.array([p.weight for p in pools])
    state_idx = rng.choice(len(pools), size=n, p=weights / weights.sum())
    pick = rng.random(n)
    out = {k: np.empty(n, dtype=object) for k in ("state", "zip", "city", "area")}
    for k, pool in enumerate(pools):
        mask = state_idx == k
        j = (pick[mask] * len(pool.zips)).astype(np.int64)
        out["state"][mask] = pool.state
        out["zip"][mask] = np.array(pool.zips, dtype=object)[j]
        out["city"][mask] = np.array(pool.cities, dtype=object)[j]
        out["area"][mask] = np.array(pool.area_codes, dtype=object)[j]
    return out


def _gb_geo(rng: np.random.Generator, seed: int, n: int) -> dict[str, np.ndarray]:
    uk = Faker("en_GB")
    uk.seed_instance(seed + 2)
    postcodes, cities = _pool(uk, "postcode", 400), _pool(uk, "city", 400)
    j = rng.integers(0, 400, n)
    return {"zip": postcodes[j], "city": cities[j]}


def _phones(rng: np.random.Generator, n: int, area: np.ndarray, gb: np.ndarray) -> np.ndarray:
    exchange = rng.integers(200, 990, n)
    exchange = np.where(exchange % 100 == 11, exchange + 1, exchange)  # no N11 exchanges
    line = rng.integers(1000, 10000, n)
    us = "+1" + area.astype(str) + exchange.astype(str) + line.astype(str)
    # UK mobiles from 074xx-075xx and 077xx-079xx, skipping ranges phonenumbers does not know (0770x, 0791x)
    blocks = np.array([b for b in range(740, 800) if not 760 <= b <= 770 and b != 791])
    prefix = blocks[rng.integers(0, blocks.size, n)] * 10 + rng.integers(0, 10, n)
    uk = "+44" + prefix.astype(str) + rng.integers(100000, 1000000, n).astype(str)
    return np.where(gb, uk, us)


def _flags(rng: np.random.Generator, n: int) -> np.ndarray:
    parts = [np.where(rng.random(n) < share, name, "") for name, share in _FLAGS]
    joined = pl.DataFrame({str(i): p for i, p in enumerate(parts)}).select(
        pl.concat_str(pl.all(), separator=";").str.replace_all(";+", ";").str.strip_chars(";"))
    return joined.to_series().to_numpy()


def customers_frame(seed: int, n: int, as_of: date) -> pl.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    gb = rng.random(n) < GB_SHARE
    names = _names(rng, seed, n, gb)
    geo, gb_geo = _us_geo(rng, n), _gb_geo(rng, seed, n)
    streets = _pool(_seeded("en_US", seed + 3), "street_name", 800)
    line1 = rng.integers(1, 9999, n).astype(str) + " " + streets[rng.integers(0, 800, n)]
    has_line2 = rng.random(n) < 0.15
    line2 = np.where(has_line2, "Apt " + rng.integers(1, 400, n).astype(str), "")
    phones = _phones(rng, n, geo["area"], gb)
    has_phone = rng.random(n) < 0.93
    phone_type = rng.choice(np.array(["mobile", "residential_landline", "work"]), size=n, p=[0.78, 0.17, 0.05])
    consent = (rng.random(n) < 0.7) & has_phone
    has_email = rng.random(n) < 0.78
    email_n = rng.integers(1, 999, n).astype(str)
    domains = np.array(["example.com", "example.org", "example.net"])[rng.integers(0, 3, n)]
    lowered = np.char.lower(np.char.replace(names.astype(str), " ", "."))
    email = np.where(has_email, np.char.add(np.char.add(np.char.add(lowered, email_n), "@"), domains), "")
    dob_days = rng.integers(21 * 365, 80 * 365, n)
    since_days = rng.integers(60, 15 * 365, n)
    spanish = (~gb) & (rng.random(n) < 0.12)
    base = np.datetime64(as_of.isoformat(), "D")
    return pl.DataFrame({
        "external_id": customer_ids(n),
        "full_name": names.astype(str),
        "date_of_birth": (base - dob_days).astype(str),
        "preferred_language": np.where(spanish, "es", "en"),
        "phone": np.where(has_phone, phones, ""),
        "phone_type": np.where(has_phone, np.where(gb, "mobile", phone_type), ""),
        "phone_tcpa_consent": np.where(has_phone, np.where(consent, "true", "false"), ""),
        "email": email,
        "address_line1": line1.astype(str),
        "address_line2": line2,
        "city": np.where(gb, gb_geo["city"], geo["city"]).astype(str),
        "state": np.where(gb, "", geo["state"]).astype(str),
        "postal_code": np.where(gb, gb_geo["zip"], geo["zip"]).astype(str),
        "country": np.where(gb, "GB", "US"),
        "flags": _flags(rng, n),
        "customer_since": (base - since_days).astype(str),
        "stated_time_zone": np.where(rng.random(n) < 0.02, np.where(gb, "Europe/London", "America/Chicago"), ""),
        # Provenance of the contact points (JSON Lines only; Reg F electronic-communication procedures):
        # most e-mail addresses were used by the customer to write to the creditor; consenting mobiles
        # gave consent to the creditor.
        "_email_provenance": np.where(rng.random(n) < 0.7, "consumer_used", "creditor_notice"),
        "_phone_provenance": np.where(consent, "consumer_consent", "creditor_provided"),
    })


def _seeded(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake

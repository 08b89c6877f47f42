"""Reference geography for synthetic customers: which states, how many people, which area codes.

Invariant: every generated US customer has a ZIP of their state (from the `zipcodes` package) and a
phone whose area code is both in this table for that state and served at that ZIP, so the time zone
read from the ZIP and the one read from the phone agree as they do for most real customers.

The table is small and reviewed by hand: long-established area codes only (new overlays may be
unknown to older `phonenumbers` metadata). Weights are rough population shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import zipcodes

__all__ = ["STATE_AREA_CODES", "StatePool", "state_pools"]

# state -> (population weight in millions, area codes)
STATE_AREA_CODES: dict[str, tuple[float, tuple[str, ...]]] = {
    "CA": (39.0, ("213", "310", "415", "510", "530", "559", "619", "626", "707", "714", "760", "805",
                  "818", "909", "916", "949")),
    "TX": (30.0, ("210", "214", "254", "281", "361", "409", "432", "512", "713", "806", "817", "903",
                  "915", "940", "956", "972")),
    "FL": (22.0, ("239", "305", "321", "352", "386", "407", "561", "727", "772", "813", "850", "904",
                  "941", "954")),
    "NY": (19.5, ("212", "315", "347", "516", "518", "585", "607", "631", "716", "718", "845", "914")),
    "PA": (13.0, ("215", "267", "412", "484", "570", "610", "717", "724", "814")),
    "IL": (12.5, ("217", "309", "312", "618", "630", "708", "773", "815", "847")),
    "OH": (11.8, ("216", "330", "419", "440", "513", "614", "740", "937")),
    "GA": (11.0, ("229", "404", "470", "478", "678", "706", "770", "912")),
    "NC": (10.8, ("252", "336", "704", "828", "910", "919", "980")),
    "MI": (10.0, ("231", "248", "269", "313", "517", "586", "616", "734", "810", "906", "989")),
    "NJ": (9.3, ("201", "609", "732", "856", "908", "973")),
    "VA": (8.7, ("276", "434", "540", "571", "703", "757", "804")),
    "WA": (7.8, ("206", "253", "360", "425", "509")),
    "AZ": (7.4, ("480", "520", "602", "623", "928")),
    "MA": (7.0, ("413", "508", "617", "781", "978")),
    "TN": (7.1, ("423", "615", "731", "865", "901", "931")),
    "IN": (6.8, ("219", "260", "317", "574", "765", "812")),
    "MO": (6.2, ("314", "417", "573", "636", "660", "816")),
    "MD": (6.2, ("240", "301", "410", "443")),
    "CO": (5.9, ("303", "719", "720", "970")),
    "MN": (5.7, ("218", "320", "507", "612", "651", "763", "952")),
}


@dataclass(frozen=True, slots=True)
class StatePool:
    """ZIPs of one state, each with its city and one area code (from the table) that serves it."""

    state: str
    weight: float
    zips: tuple[str, ...]
    cities: tuple[str, ...]
    area_codes: tuple[str, ...]


@cache
def state_pools() -> tuple[StatePool, ...]:
    """One pool per state of the table, in table order (deterministic)."""
    by_state: dict[str, list[tuple[str, str, str]]] = {s: [] for s in STATE_AREA_CODES}
    for row in zipcodes.list_all():
        state = row["state"]
        if state not in by_state or row["zip_code_type"] != "STANDARD" or not row["active"]:
            continue
        allowed = STATE_AREA_CODES[state][1]
        served = sorted(a for a in row["area_codes"] if a in allowed)
        if served:
            by_state[state].append((row["zip_code"], row["city"], served[0]))
    pools = []
    for state, rows in by_state.items():
        rows.sort()
        pools.append(StatePool(state, STATE_AREA_CODES[state][0], tuple(r[0] for r in rows),
                               tuple(r[1] for r in rows), tuple(r[2] for r in rows)))
    return tuple(pools)

"""Candidate time zones of a consumer (RULES.md 7.2, conventions C-1..C-3; contract C1).

Concept: the consumer may be in any zone the collector's information points to, so the guard keeps the
*union* of the zones of every postal code, every phone area code (every zone the area code spans) and
every stated location, and evaluates time-of-day and frequency rules in each of them.

Invariants:
- Results are sorted, de-duplicated IANA names that zoneinfo can load; unknown inputs add nothing.
- Area codes: zones from phonenumbers UNION the reviewed override table `data/area_code_zones.csv`
  (libphonenumber gives one zone for some multi-zone area codes, e.g. 850 Florida).
- Pure and cached: no clock, no I/O beyond reading the packaged data table once.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from phonenumbers import timezone as pn_timezone

__all__ = [
    "AREA_CODE_TABLE_VERSION",
    "area_code_overrides",
    "area_code_states",
    "nanp_area_code",
    "candidate_zones",
    "zones_for_address",
    "zones_for_phone",
    "zones_for_place",
    "zones_for_postal_code",
    "zones_for_stated",
    "is_valid_zone",
]

AREA_CODE_TABLE_VERSION = "2026-12-01"

_US_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
# UK postcodes (outward + inward code); the whole of the UK is one zone.
_UK_POSTCODE = re.compile(r"^\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\s*$", re.IGNORECASE)
_ZIP_IN_TEXT = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")
_UNKNOWN = "Etc/Unknown"


@functools.cache
def _valid_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_zone(name: str) -> bool:
    """True when `name` is an IANA zone zoneinfo can load."""
    if name in _valid_zones():
        return True
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # OSError: zoneinfo raises IsADirectoryError etc.
        return False
    return True


def _read_table(name: str) -> list[dict[str, str]]:
    text = resources.files("cupx.compliance.data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO("".join(ln for ln in text.splitlines(True) if not ln.startswith("#")))))


@functools.cache
def area_code_overrides() -> dict[str, tuple[str, ...]]:
    """The reviewed multi-zone area-code table (area code -> zones to add)."""
    return {row["area_code"]: tuple(row["zones"].split("|")) for row in _read_table("area_code_zones.csv")}


@functools.cache
def zones_for_postal_code(code: str) -> tuple[str, ...]:
    """Zones of a US ZIP (zipcodes package) or a UK postcode; also accepts an address ending in a ZIP."""
    match = _US_ZIP.match(code) or _ZIP_IN_TEXT.search(code)
    if match:
        return tuple(sorted(_zip_index().get(match.group(1)[:5], ())))
    if _UK_POSTCODE.match(code):
        return ("Europe/London",)
    return ()


_NANP = re.compile(r"^\+1(\d{3})\d{7}$")


def nanp_area_code(number: str) -> str | None:
    """The area code of an E.164 NANP number (+1NPANXXXXXX), else None."""
    match = _NANP.match(number.strip())
    return match.group(1) if match else None


@functools.cache
def area_code_states() -> dict[str, str]:
    """Area code -> USPS state (data/area_code_states.csv)."""
    return {row["area_code"]: row["state"] for row in _read_table("area_code_states.csv")}


def zones_for_phone(number: str) -> tuple[str, ...]:
    """Every zone a phone number's area code spans (phonenumbers + the override table); cached per
    NANP area code, since the zone data of libphonenumber is keyed by area code for +1."""
    area = nanp_area_code(number)
    return _zones_for_area(area, "+1" + area + "2000000") if area else _zones_for_number(number)


@functools.cache
def _zones_for_area(area: str, sample: str) -> tuple[str, ...]:
    zones = set(_zones_for_number(sample)) | set(area_code_overrides().get(area, ()))
    return tuple(sorted(zones))


@functools.cache
def _zones_for_number(number: str) -> tuple[str, ...]:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = {z for z in pn_timezone.time_zones_for_number(parsed) if z != _UNKNOWN}
    return tuple(sorted(z for z in zones if is_valid_zone(z)))


_CITY_STATE = re.compile(r"^\s*(?:(.*?),\s*)?([A-Za-z]{2})\s*$")


@functools.cache
def _place_index() -> tuple[dict[tuple[str, str], frozenset[str]], dict[str, frozenset[str]]]:
    """(city, state) -> zones and state -> zones from the zipcodes table (built once, on first need)."""
    import zipcodes

    cities: dict[tuple[str, str], set[str]] = {}
    states: dict[str, set[str]] = {}
    for z in zipcodes.list_all():  # type: ignore[no-untyped-call]
        zone_name = z.get("timezone")
        if not zone_name or not is_valid_zone(zone_name):
            continue
        cities.setdefault((str(z["city"]).upper(), z["state"]), set()).add(zone_name)
        states.setdefault(z["state"], set()).add(zone_name)
    return ({k: frozenset(v) for k, v in cities.items()}, {k: frozenset(v) for k, v in states.items()})


@functools.cache
def _zip_index() -> dict[str, frozenset[str]]:
    """ZIP -> zones, built once from the zipcodes table: `zipcodes.matching` scans all ~42,000 ZIPs on
    every call (~8 ms), which a portfolio with tens of thousands of distinct ZIPs cannot afford."""
    import zipcodes  # imported lazily: loading its table costs ~0.3 s

    index: dict[str, set[str]] = {}
    for z in zipcodes.list_all():  # type: ignore[no-untyped-call]
        zone_name = z.get("timezone")
        if zone_name and is_valid_zone(zone_name):
            index.setdefault(str(z["zip_code"]), set()).add(zone_name)
    return {k: frozenset(v) for k, v in index.items()}


@functools.cache
def zones_for_place(value: str) -> tuple[str, ...]:
    """'Denver, CO' -> the zones of that city's ZIPs; 'CO' -> every zone of the state; else ()."""
    match = _CITY_STATE.match(value)
    if not match:
        return ()
    city, state = (match.group(1) or "").strip().upper(), match.group(2).upper()
    cities, states = _place_index()
    return tuple(sorted(cities.get((city, state)) or states.get(state) or ()))


@functools.cache
def zones_for_address(value: str) -> tuple[str, ...]:
    """A postal address: its ZIP/postcode, else its trailing 'City, ST'."""
    found = zones_for_postal_code(value)
    if found:
        return found
    parts = [p.strip() for p in value.split(",")]
    return zones_for_place(", ".join(parts[-2:])) if len(parts) >= 2 else zones_for_place(value)


@functools.cache
def zones_for_stated(value: str) -> tuple[str, ...]:
    """A stated location: an IANA zone name, else a postal code, else 'City, ST' or a state code."""
    value = value.strip()
    if is_valid_zone(value) and "/" in value:
        return (value,)
    return zones_for_postal_code(value) or zones_for_place(value)


def candidate_zones(
    postal_codes: Iterable[str] = (),
    phone_numbers: Iterable[str] = (),
    stated: Iterable[str] = (),
) -> tuple[str, ...]:
    """Sorted IANA zones from US ZIPs, E.164 phone area codes and stated zones (contract C1, C-3)."""
    zones: set[str] = set()
    for code in postal_codes:
        zones.update(zones_for_postal_code(code))
    for number in phone_numbers:
        zones.update(zones_for_phone(number))
    for value in stated:
        zones.update(zones_for_stated(value))
    return tuple(sorted(zones))

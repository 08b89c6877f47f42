"""Candidate zones (contract C1, RULES.md 7.2)."""

from __future__ import annotations

from cupx.compliance.timezones import area_code_overrides, candidate_zones, zones_for_phone


def test_zip_and_area_code_union_is_sorted() -> None:
    assert candidate_zones(["60606"], ["+13035550123"]) == ("America/Chicago", "America/Denver")


def test_area_code_spanning_two_zones_uses_override_table() -> None:
    # libphonenumber says only New_York for 850; the western panhandle is Central.
    assert zones_for_phone("+18505550100") == ("America/Chicago", "America/New_York")


def test_phonenumbers_multi_zone_area_code_kept() -> None:
    assert set(zones_for_phone("+12085550100")) >= {"America/Boise", "America/Los_Angeles"}


def test_arizona_area_code_includes_navajo_nation() -> None:
    assert zones_for_phone("+19285550100") == ("America/Denver", "America/Phoenix")


def test_stated_zone_and_zip_plus_four_and_address_text() -> None:
    assert candidate_zones(["60606-1234"], [], ["America/Denver"]) == ("America/Chicago", "America/Denver")
    assert candidate_zones(["233 S Wacker Dr, Chicago, IL 60606"]) == ("America/Chicago",)


def test_unknown_inputs_add_nothing() -> None:
    assert candidate_zones(["00000", "nope"], ["not a phone", "+447700900123"], ["Mars/Base"]) == ()


def test_uk_postcode_is_london() -> None:
    assert candidate_zones(["SW1A 1AA"]) == ("Europe/London",)


def test_override_table_zones_are_valid() -> None:
    from zoneinfo import ZoneInfo

    for zones in area_code_overrides().values():
        for zone in zones:
            ZoneInfo(zone)


def test_city_state_and_state_code_locations() -> None:
    from cupx.compliance.timezones import zones_for_address, zones_for_stated

    assert zones_for_stated("Denver, CO") == ("America/Denver",)
    assert zones_for_stated("FL") == ("America/Chicago", "America/New_York")
    assert zones_for_address("233 S Wacker Dr, Chicago, IL") == ("America/Chicago",)

"""Jurisdiction profiles and tenant house rules (RULES.md §1, §4, C-19).

A `JurisdictionProfile` says which rule families apply to a tenant: US federal (Reg F + TCPA), the
Massachusetts and Washington overlays (applied automatically when a candidate state matches, or always
when forced), UK CONC/GDPR, first-party-creditor opt-in to Reg F contact rules (C-19), and `HouseRules`
that are stricter than the law (per-channel caps, quiet weekdays, a narrower daily window).
Invariant: house rules can only add blocks; they never lift a legal block.
Profiles are data: `data/profiles/<name>.yaml` ships us_federal, us_ma, us_wa, uk_conc.
"""

from __future__ import annotations

import functools
from datetime import time
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HouseRules", "JurisdictionProfile", "load_profile", "resolve_profile"]


class HouseRules(BaseModel):
    """Tenant rules stricter than the law; None/empty disables each one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_texts_per_day: int | None = None
    max_texts_per_week: int | None = None  # rolling 7 local days, e.g. 3
    max_emails_per_day: int | None = None
    max_emails_per_week: int | None = None
    max_calls_per_week: int | None = None
    quiet_weekdays: tuple[str, ...] = ()  # e.g. ("sun",): no contact on Sundays
    window_start: time | None = None  # e.g. 09:00, narrower than 08:00
    window_end: time | None = None  # e.g. 20:00, narrower than 21:00
    electronic_advisory_per_day: int = 3  # ADV_ELECTRONIC_VOLUME thresholds (comment 14(a)-1)
    electronic_advisory_per_week: int = 10


class JurisdictionProfile(BaseModel):
    """Which rule families apply; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "us_federal"
    us_federal: bool = True
    tcpa: bool = True
    state_overlays: bool = True  # apply MA/WA when a candidate state matches
    force_states: tuple[str, ...] = ()  # apply these state overlays regardless of location
    uk_conc: bool = False
    first_party_regf_opt_in: bool = False  # C-19
    house: HouseRules = Field(default_factory=HouseRules)


@functools.cache
def load_profile(name: str) -> JurisdictionProfile:
    """A shipped profile by name (data/profiles/<name>.yaml)."""
    path = resources.files("cupx.compliance.data").joinpath("profiles", f"{name}.yaml")
    if not path.is_file():
        raise ValueError(f"unknown jurisdiction profile {name!r}")
    return JurisdictionProfile.model_validate(yaml.safe_load(path.read_text("utf-8")))


def resolve_profile(spec: str | dict[str, Any] | JurisdictionProfile | None, role: str) -> JurisdictionProfile:
    """Profile from a name, a dict (optionally `base: <name>` plus overrides) or None (role default)."""
    if isinstance(spec, JurisdictionProfile):
        return spec
    if spec is None:
        return load_profile("uk_conc" if role == "uk_authorised_firm" else "us_federal")
    if isinstance(spec, str):
        return load_profile(spec)
    data = dict(spec)
    base = load_profile(str(data.pop("base", "uk_conc" if role == "uk_authorised_firm" else "us_federal")))
    merged = base.model_dump()
    if "house" in data:
        merged["house"] = {**merged["house"], **dict(data.pop("house"))}
    merged.update(data)
    return JurisdictionProfile.model_validate(merged)

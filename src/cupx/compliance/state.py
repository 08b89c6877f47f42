"""The prepared view of one evaluation: known events (C-8), candidate zones and states, applicable
rule families, and the accumulators rules write to.

Invariants: `events` holds only events with `at <= cutoff` (the action instant, or the end of the
action date in the collector's business zone for date-only actions, C-18), sorted by `at`; `zones` is
never empty (falls back to the business zone); rules only add codes, never remove them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cupx.compliance.codes import Advisory, Code
from cupx.compliance.models import Action, ActionType, Context, Event, EventType
from cupx.compliance.profiles import JurisdictionProfile
from cupx.compliance.timezones import (
    area_code_states,
    nanp_area_code,
    zones_for_address,
    zones_for_phone,
    zones_for_stated,
)

__all__ = ["CHANNEL", "COMMUNICATIONS", "State", "zone"]

A = ActionType
# Medium of each communication action (R-08 vocabulary).
CHANNEL: dict[ActionType, str] = {
    A.CALL: "telephone_call", A.VOICEMAIL_MESSAGE: "telephone_call", A.TEXT: "text", A.EMAIL: "email",
    A.LETTER: "mail", A.SOCIAL_MEDIA_MESSAGE: "social_media", A.INBOUND_CALL_SCRIPT: "inbound_call",
}
COMMUNICATIONS = frozenset(CHANNEL)
_NON_CONSUMER_ROLES = frozenset({"attorney", "consumer_attorney", "creditor", "creditor_attorney",
                                 "collector_attorney", "consumer_reporting_agency"})


@functools.cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _state_of_phone(number: str) -> str | None:
    return area_code_states().get(nanp_area_code(number) or "")


@functools.cache
def _state_of_zip(code: str) -> str | None:
    import re

    import zipcodes

    match = re.search(r"\b(\d{5})(?:-\d{4})?\s*$", code)
    if not match:
        return None
    found = zipcodes.matching(match.group(1))  # type: ignore[no-untyped-call]
    return str(found[0]["state"]) if found else None


@dataclass
class State:
    ctx: Context
    action: Action
    profile: JurisdictionProfile
    cutoff: datetime
    events: list[Event]
    zones: tuple[str, ...]
    states: frozenset[str]
    codes: set[Code] = field(default_factory=set)
    advisories: set[Advisory] = field(default_factory=set)
    computed: dict[str, Any] = field(default_factory=dict)
    zones_known: bool = True
    partial: bool = False
    not_applicable: bool = False
    _by_type: dict[EventType, list[Event]] = field(default_factory=dict)

    @classmethod
    def build(cls, ctx: Context, events: Iterable[Event], action: Action, profile: JurisdictionProfile) -> State:
        cutoff = action.at or _end_of_day(_action_date(action), zone(ctx.collector_business_tz))
        known = sorted((e for e in events if e.at <= cutoff), key=lambda e: e.at)
        on = cutoff.astimezone(zone(ctx.collector_business_tz)).date()
        found = _zones(ctx, on)
        zones = found or (ctx.collector_business_tz,)
        st = cls(ctx, action, profile, cutoff, known, zones, _states(ctx, profile), zones_known=bool(found))
        for e in known:
            st._by_type.setdefault(e.type, []).append(e)
        return st

    # ---- helpers used by rule modules -------------------------------------------------------------
    def of(self, *types: EventType) -> list[Event]:
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        return sorted((e for t in types for e in self._by_type.get(t, [])), key=lambda e: e.at)

    def block(self, code: Code) -> None:
        self.codes.add(code)

    def advise(self, flag: Advisory) -> None:
        self.advisories.add(flag)

    @property
    def role(self) -> str:
        return str(self.ctx.collector_role)

    @property
    def regf(self) -> bool:
        """Reg F applies (C-19)."""
        if not self.profile.us_federal:
            return False
        return self.role == "fdcpa_debt_collector" or (
            self.role == "first_party_creditor" and self.profile.first_party_regf_opt_in)

    @property
    def us(self) -> bool:
        return self.role != "uk_authorised_firm" and self.profile.us_federal

    @property
    def uk(self) -> bool:
        return self.role == "uk_authorised_firm" or self.profile.uk_conc

    @property
    def consumer_id(self) -> str:
        return self.ctx.consumer.id

    @property
    def person(self) -> str:
        return self.action.person or self.consumer_id

    def role_of(self, person: str | None) -> str:
        if person is None or person == self.consumer_id:
            return "consumer"
        for p in self.ctx.persons:
            if p.id == person:
                return p.role
        return "consumer"

    def is_consumer_side(self, person: str | None) -> bool:
        """The consumer or a §1006.6(a) person (spouse, guardian, executor, ...)."""
        return self.role_of(person) not in _NON_CONSUMER_ROLES | {"third_party"}

    @property
    def channel(self) -> str | None:
        return CHANNEL.get(self.action.type)

    @property
    def at(self) -> datetime:
        return self.action.at or self.cutoff

    @property
    def on(self) -> date:
        """The action's date in the collector's business zone (date-only actions, C-18)."""
        d = _action_date(self.action)
        return d if d is not None else self.at.astimezone(zone(self.ctx.collector_business_tz)).date()

    def local(self, instant: datetime, zone_name: str) -> datetime:
        return instant.astimezone(zone(zone_name))

    def action_debts(self) -> tuple[str, ...]:
        """The debts the action is about; no debt named means every debt of the consumer."""
        if self.action.debt_ids:
            return self.action.debt_ids
        return tuple(d.id for d in self.ctx.debts)

    def group(self, debt_id: str) -> str:
        """Student loans serviced under one account number count as one debt (1006.14(b)(4))."""
        for d in self.ctx.debts:
            if d.id == debt_id and d.serviced_under_account:
                return "acct:" + d.serviced_under_account
        return debt_id

    def debt(self, debt_id: str) -> Any:
        for d in self.ctx.debts:
            if d.id == debt_id:
                return d
        return None

    def time_barred(self, debt: Any) -> bool:
        """R-14 / CONC 7.15, recomputed rather than trusted: the flag, a passed `limitations_date`, or (UK)
        a `limitation_start_on` (last payment or acknowledgement) + 6 years (5 in Scotland)."""
        if debt.time_barred or debt.statute_barred:
            return True
        if debt.limitations_date is not None and self.on > debt.limitations_date:
            return True
        start = (debt.model_extra or {}).get("limitation_start_on")
        if start is None or not self.uk:
            return False
        from cupx.compliance.business_calendar import add_years

        scotland = any(j.upper() in ("UK-SCT", "GB-SCT", "SCOTLAND") for j in debt.jurisdictions)
        return self.on > add_years(date.fromisoformat(str(start)[:10]), 5 if scotland else 6)

    def phone(self, number: str | None) -> Any:
        for p in self.ctx.phones:
            if p.number == number:
                return p
        return None

    def event_debts(self, e: Event) -> tuple[str, ...] | None:
        """Debts an event concerns; None means all debts (e.g. a cease notice naming none, C-9)."""
        if e.all or e.debt_ids is None or len(e.debt_ids) == 0:
            return e.counted_toward or None
        return e.debt_ids

    def concerns(self, e: Event, debt_id: str) -> bool:
        debts = self.event_debts(e)
        return debts is None or self.group(debt_id) in {self.group(d) for d in debts}


def _action_date(action: Action) -> date | None:
    for value in (action.mail_on, action.on_date, action.provided_on, action.call_date,
                  action.initial_communication_on):
        if value is not None:
            return value
    return None


def _end_of_day(day: date | None, tz: ZoneInfo) -> datetime:
    if day is None:
        return datetime.max.replace(tzinfo=ZoneInfo("UTC")) - timedelta(days=2)
    return datetime.combine(day, time.max, tzinfo=tz)


def _zones(ctx: Context, on: date) -> tuple[str, ...]:
    """C-3: union over evidence (explicit tz wins for its item), phones and stated locations."""
    found: set[str] = set()
    seen_values: set[str] = set()
    for ev in ctx.consumer.location_evidence:
        if (ev.valid_from and on < ev.valid_from) or (ev.valid_until and on > ev.valid_until):
            continue
        seen_values.add(ev.value)
        if ev.tz:
            found.add(ev.tz)
        elif ev.kind == "postal_address":
            found.update(zones_for_address(ev.value))
        elif ev.kind == "phone_area_code":
            found.update(zones_for_phone(ev.value))
        else:
            found.update(zones_for_stated(ev.value))
    for ph in ctx.phones:
        if ph.number not in seen_values:
            found.update(zones_for_phone(ph.number))
    for ad in ctx.addresses:
        if ad.value and ad.value not in seen_values:
            found.update(zones_for_address(ad.value))
    return tuple(sorted(found))


def _states(ctx: Context, profile: JurisdictionProfile) -> frozenset[str]:
    """Candidate US states (§4): evidence `state`, ZIPs, area codes, debt jurisdictions, profile."""
    out: set[str] = set(profile.force_states)
    if ctx.consumer.state:
        out.add(ctx.consumer.state.upper())
    for ev in ctx.consumer.location_evidence:
        if ev.state:
            out.add(ev.state.upper())
        elif ev.kind == "postal_address":
            out.add(_state_of_zip(ev.value) or "")
        elif ev.kind == "phone_area_code":
            out.add(_state_of_phone(ev.value) or "")
    for ph in ctx.phones:
        out.add(_state_of_phone(ph.number) or "")
    for d in ctx.debts:
        out.update(j.upper().removeprefix("US-") for j in d.jurisdictions)
    out.discard("")
    return frozenset(out)

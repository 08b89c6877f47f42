"""Tenant house rules stricter than the law (profiles.HouseRules) and the electronic-volume advisory
(12 CFR 1006.14(a), comment 14(a)-1).

Invariants: house rules only add HOUSE_* blocks; counts use rolling local calendar dates in every
candidate zone (C-1); the advisory never blocks.
"""

from __future__ import annotations

from datetime import timedelta

from cupx.compliance.codes import Advisory, Code
from cupx.compliance.models import ActionType, EventType
from cupx.compliance.rules.timing import DAY_NAMES, TIMED, outside_default_window
from cupx.compliance.state import State, zone

__all__ = ["check", "channel_counts"]

E = EventType
A = ActionType
_SENT = {A.TEXT: (E.TEXT_SENT,), A.EMAIL: (E.EMAIL_SENT,), A.CALL: (E.CALL_PLACED,)}


def channel_counts(st: State, types: tuple[EventType, ...], zone_name: str) -> tuple[int, int]:
    """(sent today, sent in the last 7 local days) through these event types, in one zone."""
    tz = zone(zone_name)
    day = st.at.astimezone(tz).date()
    dates = [e.at.astimezone(tz).date() for e in st.of(*types)]
    return sum(1 for d in dates if d == day), sum(1 for d in dates if day - timedelta(days=6) <= d <= day)


def _caps(st: State) -> None:
    h, act = st.profile.house, st.action
    caps = {A.TEXT: (h.max_texts_per_day, h.max_texts_per_week), A.EMAIL: (h.max_emails_per_day, h.max_emails_per_week),
            A.CALL: (None, h.max_calls_per_week)}.get(act.type)
    if caps is None:
        return
    for zone_name in st.zones:
        today, week = channel_counts(st, _SENT[act.type], zone_name)
        if (caps[0] is not None and today + 1 > caps[0]) or (caps[1] is not None and week + 1 > caps[1]):
            st.block(Code.HOUSE_CHANNEL_CAP)


def check(st: State) -> None:
    act, h = st.action, st.profile.house
    if act.type not in TIMED or act.at is None:
        return
    for zone_name in st.zones:
        local = act.at.astimezone(zone(zone_name))
        if DAY_NAMES[local.weekday()] in h.quiet_weekdays:
            st.block(Code.HOUSE_QUIET_DAY)
        if (h.window_start or h.window_end) and outside_default_window(
                local, h.window_start or local.time().min, h.window_end or local.time().max):
            st.block(Code.HOUSE_CONTACT_WINDOW)
    _caps(st)
    if act.type in (A.TEXT, A.EMAIL):
        for zone_name in st.zones:
            today, week = channel_counts(st, (E.TEXT_SENT, E.EMAIL_SENT), zone_name)
            if today + 1 > h.electronic_advisory_per_day or week + 1 > h.electronic_advisory_per_week:
                st.advise(Advisory.ADV_ELECTRONIC_VOLUME)

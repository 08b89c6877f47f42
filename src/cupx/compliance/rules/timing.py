"""R-02 inconvenient time (12 CFR 1006.6(b)(1)(i)), R-03 inconvenient place (1006.6(b)(1)(ii)) and the
UK equivalent (CONC 7.9.4R, convention C-14).

Invariants: the default window [08:00:00, 21:00:00] is closed at both ends (C-2) and must hold in
every candidate zone; electronic messages are judged at the send instant (comment 6(b)(1)(i)-1);
consumer-designated inconvenient times/places add blocks until withdrawn; consent given directly to
the collector (not the creditor) lifts the time bar inside its window (1006.6(b)(4)); a consumer's
own contact through a medium allows one response through it (comment 6(b)(1)-2).
"""

from __future__ import annotations

from datetime import date, datetime, time

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, Event, EventType, TimeWindow
from cupx.compliance.rules.common import reply_once_available
from cupx.compliance.state import State, zone

__all__ = ["DAY_NAMES", "check", "in_window", "outside_default_window"]

E = EventType
A = ActionType
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIMED = frozenset({A.CALL, A.TEXT, A.EMAIL, A.VOICEMAIL_MESSAGE, A.SOCIAL_MEDIA_MESSAGE})
OPEN, CLOSE = time(8, 0), time(21, 0)


def outside_default_window(local: datetime, start: time = OPEN, end: time = CLOSE) -> bool:
    """C-2: allowed iff start <= local time-of-day <= end (both ends included)."""
    t = local.timetz().replace(tzinfo=None)
    return t < start or t > end


def in_window(local: datetime, w: TimeWindow) -> bool:
    """Local instant inside a weekly window [start, end) (windows may cross midnight)."""
    if w.days and DAY_NAMES[local.weekday()] not in w.days:
        return False
    t = local.time().replace(tzinfo=None)
    if w.start <= w.end:
        return w.start <= t < w.end
    return t >= w.start or t < w.end


def _active(e: Event, instant: datetime) -> bool:
    if e.withdrawn:
        return False
    if e.until is None:
        return True
    if isinstance(e.until, datetime):
        return instant <= e.until
    return instant.date() <= e.until if isinstance(e.until, date) else True


def _windows(e: Event) -> tuple[TimeWindow, ...]:
    """The event's windows: `windows`, `window`, `allowed_windows`, or days/start/end on the event itself."""
    extra = e.model_extra or {}
    found = e.windows + ((e.window,) if e.window else ())
    if not found and extra.get("allowed_windows"):
        raw = extra["allowed_windows"]
        found = tuple(TimeWindow.model_validate(w) for w in (raw if isinstance(raw, list) else [raw]))
    if not found and any(k in extra for k in ("days", "start", "end")):
        found = (TimeWindow.model_validate({k: extra[k] for k in ("days", "start", "end") if k in extra}),)
    return found


def _preference_windows(st: State) -> tuple[TimeWindow, ...]:
    """UK stated contact windows: the latest contact_preference event, else context preferences."""
    prefs = [e for e in st.of(E.CONTACT_PREFERENCE) if _active(e, st.at) and _windows(e)]
    if prefs:
        return _windows(prefs[-1])
    raw = st.ctx.consumer.contact_preferences.get("windows") or st.ctx.consumer.contact_preferences.get(
        "allowed_windows")
    if not raw:
        return ()
    return tuple(TimeWindow.model_validate(w) for w in (raw if isinstance(raw, list) else [raw]))


def _time_consented(st: State, local: datetime) -> bool:
    for c in st.of(E.TIME_CONSENT):
        if c.given_to not in (None, "collector") or not _active(c, st.at):
            continue
        wins = _windows(c)
        if not wins or any(in_window(local, w) for w in wins):
            return True
    return False


def _time_rule(st: State) -> None:
    assert st.action.at is not None
    designated = [e for e in st.of(E.INCONVENIENT_TIME) if _active(e, st.at)]
    reply_ok = reply_once_available(st)
    local_times: dict[str, str] = {}
    for zone_name in st.zones:
        local = st.action.at.astimezone(zone(zone_name))
        local_times[zone_name] = local.isoformat()
        if _time_consented(st, local) or reply_ok:
            continue
        if outside_default_window(local):
            st.block(Code.REGF_INCONVENIENT_TIME)
        if any(in_window(local, w) for e in designated for w in _windows(e)):
            st.block(Code.REGF_INCONVENIENT_TIME)
    st.computed["local_times"] = local_times


def _place_of_action(st: State) -> str | None:
    act = st.action
    if act.known_location:
        return act.known_location
    if act.type == A.LETTER:
        for ad in st.ctx.addresses:
            if ad.id == act.address_id:
                return ad.place
        return "home" if act.address_id is None else None
    if act.type in (A.CALL, A.VOICEMAIL_MESSAGE):
        phone = st.phone(act.number)
        kind = phone.type if phone is not None else None
        return {"residential_landline": "home", "landline": "home", "home": "home", "work": "work"}.get(kind or "")
    return None


def _place_rule(st: State) -> None:
    place = _place_of_action(st)
    if place is None:
        return
    for e in st.of(E.INCONVENIENT_PLACE):
        if e.place == place and _active(e, st.at) and not reply_once_available(st):
            st.block(Code.REGF_INCONVENIENT_PLACE)


def _uk_rule(st: State) -> None:
    assert st.action.at is not None
    zones = st.zones if st.zones_known else ("Europe/London",)
    windows = _preference_windows(st)
    for zone_name in zones:
        local = st.action.at.astimezone(zone(zone_name))
        if windows:
            if not any(in_window(local, w) for w in windows):
                st.block(Code.UK_CONC_UNREASONABLE_TIME)
        elif outside_default_window(local):
            st.block(Code.UK_CONC_UNREASONABLE_TIME)


def check(st: State) -> None:
    act = st.action
    if st.regf and act.type in TIMED and act.at is not None:
        _time_rule(st)
    if st.regf and act.type in (A.CALL, A.VOICEMAIL_MESSAGE, A.LETTER, A.TEXT, A.EMAIL):
        _place_rule(st)
    if st.uk and act.type in TIMED and act.at is not None:
        _uk_rule(st)

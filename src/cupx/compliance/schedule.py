"""`next_allowed_time(context, events, channel, after)`: when the next call, text or email to this
person may go out (used by the dispatcher and the agent desk).

Method: evaluate a probe action at candidate instants from `after` on: `after` itself, then each
local boundary of the 08:00-21:00 window (and house windows) in every candidate zone, then each local
midnight (frequency windows slide by calendar date), for up to `horizon_days`. Returns the first
instant the guard allows, or None when something time alone does not lift within the horizon (cease,
dispute, attorney, opt-out, ...). Pure; DST-correct because boundaries are built with zoneinfo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from cupx.compliance.guard import build_state, evaluate_state
from cupx.compliance.inputs import parse_action, parse_context, parse_events
from cupx.compliance.models import Context, Event, EventType
from cupx.compliance.state import State, zone

__all__ = ["next_allowed_time"]

_ACTION_TYPE = {"call": "call", "telephone_call": "call", "text": "text", "sms": "text", "email": "email"}


def _boundaries(state: State) -> set[time]:
    """Local times at which a block can lift: midnight (date windows), the window opening, house windows,
    the end of designated inconvenient times and the start of stated contact windows."""
    out = {time(0), time(8), time(9), time(10)}
    house = state.profile.house
    if house.window_start:
        out.add(house.window_start)
    for e in state.of(EventType.INCONVENIENT_TIME, EventType.CONTACT_PREFERENCE, EventType.TIME_CONSENT):
        for w in e.windows + ((e.window,) if e.window else ()):
            out.update({w.start, w.end} if w.end != time(23, 59, 59) else {w.start})
    return out


def _candidates(after: datetime, zones: Iterable[str], days: int, times: set[time]) -> list[datetime]:
    out = {after}
    for zone_name in zones:
        tz = zone(zone_name)
        start = after.astimezone(tz).date()
        for offset in range(days + 1):
            day = start + timedelta(days=offset)
            for t in times:
                instant = datetime.combine(day, t, tzinfo=tz)
                if instant > after:
                    out.add(instant)
    return sorted(out)


def next_allowed_time(
    context: Context | Mapping[str, Any],
    events: Iterable[Event | Mapping[str, Any]],
    channel: str | Mapping[str, Any],
    after: datetime,
    *,
    horizon_days: int = 8,
) -> datetime | None:
    """First instant >= `after` at which a `channel` contact (or the given action template) is allowed."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    ctx = parse_context(context)
    evs = parse_events(events, ctx)
    template: dict[str, Any] = dict(channel) if isinstance(channel, Mapping) else {"type": _ACTION_TYPE[channel]}
    template.setdefault("person", ctx.consumer.id)
    if "number" not in template and template["type"] in ("call", "text") and ctx.phones:
        template["number"] = ctx.phones[0].number
    if "address" not in template and template["type"] == "email" and ctx.emails:
        template["address"] = ctx.emails[0].address
    probe = build_state(ctx, evs, parse_action({**template, "at": after}, ctx), None)
    for instant in _candidates(after, probe.zones, horizon_days, _boundaries(probe)):
        action = parse_action({**template, "at": instant}, ctx)
        decision = evaluate_state(build_state(ctx, evs, action, None))
        if decision.decision in ("allowed", "n/a"):
            return instant
    return None

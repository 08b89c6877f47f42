"""R-01: Reg F call frequency (12 CFR 1006.14(b)): the 7-in-7 presumption (A) and the
post-conversation bar (B), per (person, particular debt), sliding local calendar dates in every
candidate zone (C-1). Also the concentration advisory (comment 14(b)(2)(i)-2) and the one location
communication per third party (1006.10(c)).

What counts: placed calls that connected or rang (busy / not-in-service excluded), to numbers not
learned to be wrong, not placed under the person's direct prior consent (days 1..7 from receipt,
ended early by a shorter stated period, revocation or the next conversation).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from cupx.compliance.codes import Advisory, Code
from cupx.compliance.models import ActionType, Event, EventType
from cupx.compliance.state import State, zone

__all__ = ["check", "classified_calls", "consent_windows", "counted_calls"]

E = EventType
_NOT_CONNECTED = frozenset({"busy", "not_in_service"})
_EXEMPT_ROLES = frozenset({"attorney", "consumer_attorney", "creditor", "creditor_attorney", "collector_attorney",
                           "consumer_reporting_agency"})


def consent_windows(st: State, person: str, group: str, zone_name: str) -> list[tuple[datetime, datetime]]:
    """Instants [start, end) during which calls to `person` about `group` are placed with consent."""
    tz = zone(zone_name)
    out: list[tuple[datetime, datetime]] = []
    for c in st.of(E.CALL_CONSENT):
        if (c.person or st.consumer_id) != person or c.given_to not in (None, "collector"):
            continue
        if c.debt_ids and not _about(st, c, group):
            continue
        first = c.at.astimezone(tz).date()
        last = min(first + timedelta(days=6), c.limited_to_date or date.max)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
        for later in st.of(E.CALL_CONSENT_REVOKED, E.TELEPHONE_CONVERSATION):
            if later.at > c.at and (later.person or st.consumer_id) == person and later.at < end:
                if later.type == E.CALL_CONSENT_REVOKED or _about(st, later, group):
                    end = later.at
        out.append((c.at, end))
    return out


def _about(st: State, e: Event, group: str) -> bool:
    debts = e.debt_ids or e.counted_toward
    return any(st.group(d) == group for d in debts)


def classified_calls(st: State, person: str, group: str, zone_name: str) -> Iterator[tuple[Event, str]]:
    """Placed calls to `person` about `group`, each with 'counted' or the reason it is excluded."""
    wrong = {e.number for e in st.of(E.WRONG_NUMBER_LEARNED)} | {
        p.number for p in st.ctx.phones if (p.model_extra or {}).get("wrong_number") is True}
    windows = consent_windows(st, person, group, zone_name)
    for e in st.of(E.CALL_PLACED):
        if (e.person or st.consumer_id) != person or not _about(st, e, group):
            continue
        if e.initiated_by == "consumer" or (e.model_extra or {}).get("direction") == "inbound":
            yield e, "inbound"  # the collector did not place it (comment 14(b)(2)(i)-1.ii)
        elif e.outcome in _NOT_CONNECTED:
            yield e, str(e.outcome)
        elif e.number in wrong:
            yield e, "wrong_number"
        elif any(a <= e.at < b for a, b in windows):
            yield e, "consent"
        else:
            yield e, "counted"


def counted_calls(st: State, person: str, group: str, zone_name: str) -> Iterator[Event]:
    return (e for e, why in classified_calls(st, person, group, zone_name) if why == "counted")


def _check_group(st: State, person: str, group: str) -> None:
    for zone_name in st.zones:
        tz = zone(zone_name)
        if any(a <= st.at < b for a, b in consent_windows(st, person, group, zone_name)):
            continue  # 1006.14(b)(3)(i): a consented call counts for neither (A) nor (B)
        day = st.at.astimezone(tz).date()
        start = day - timedelta(days=6)
        classified = [(e.at.astimezone(tz).date(), why) for e, why in classified_calls(st, person, group, zone_name)]
        days = [d for d, why in classified if why == "counted"]
        in_window = sum(1 for d in days if start <= d <= day)
        key = f"{group}@{zone_name}"
        st.computed.setdefault("call_counts_7d", {})[key] = in_window + 1
        excluded: dict[str, int] = {}
        for d, why in classified:
            if why != "counted" and start <= d <= day:
                excluded[why] = excluded.get(why, 0) + 1
        st.computed.setdefault("call_windows", {})[key] = {
            "window": f"{start.isoformat()}..{day.isoformat()}", "counted_including_this": in_window + 1,
            "excluded": excluded}
        if in_window + 1 > 7:
            st.block(Code.REGF_CALL_FREQ_7IN7)
        if sum(1 for d in days if d == day) + 1 >= 4:
            st.advise(Advisory.ADV_CALL_CONCENTRATION)
        for conv in st.of(E.TELEPHONE_CONVERSATION):
            if (conv.person or st.consumer_id) == person and _about(st, conv, group):
                if start <= conv.at.astimezone(tz).date() <= day:
                    st.block(Code.REGF_CALL_AFTER_CONVERSATION)
                    st.computed.setdefault("conversation_bar_until", {})[group] = (
                        conv.at.astimezone(tz).date() + timedelta(days=6)).isoformat()


def check(st: State) -> None:
    act = st.action
    if not st.regf or act.type != ActionType.CALL or act.at is None:
        return
    person = st.person
    if st.role_of(person) in _EXEMPT_ROLES:
        return  # 1006.14(b)(3)(iii)
    for group in dict.fromkeys(st.group(d) for d in st.action_debts()):
        _check_group(st, person, group)
    recent = [e for e in st.of(E.CALL_PLACED)
              if e.number == act.number and act.at - e.at <= timedelta(minutes=5)]
    if recent:
        st.advise(Advisory.ADV_CALL_CONCENTRATION)
    if act.purpose == "location_information" and st.role_of(person) == "third_party":
        earlier = [e for e in st.of(E.CALL_PLACED, E.TEXT_SENT, E.EMAIL_SENT, E.LETTER_SENT)
                   if e.person == person and e.outcome not in _NOT_CONNECTED]
        if earlier and act.exception != "requested_by_third_party":
            st.block(Code.REGF_THIRD_PARTY_DISCLOSURE)

"""US state overlays (RULES.md §4): Massachusetts telephone cap (940 CMR 7.04(1)(f), 209 CMR
18.16(1)(d); convention C-12) and the Washington weekly cap (RCW 19.16.250; convention C-13).

MA: per debt, every collector-initiated call that rang, was answered or reached voicemail (message
left or not), every text and recorded message counts; busy, not-in-service and no-voicemail attempts
and replies to the debtor's request do not. Residence, mobile and personal numbers share one bucket of
2 per rolling 7 MA local dates; other numbers get 2 per rolling 30. Applies to creditors too.
WA: every communication in any medium with the debtor or spouse, at most 3 per rolling 7 local dates,
and at most 1 per 7 at work. State rules add to Reg F, never replace it (§1006.104).
"""

from __future__ import annotations

from datetime import date, timedelta

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, Event, EventType
from cupx.compliance.state import State, zone

__all__ = ["check", "ma_bucket", "ma_counts"]

E = EventType
A = ActionType
_MA_TZ, _WA_TZ = "America/New_York", "America/Los_Angeles"
_PERSONAL = frozenset({"mobile", "residential_landline", "landline", "home", "residence", "personal", "cell"})
_WA_CALL_OUTCOMES = frozenset({"answered", "voicemail_message", "ringless_voicemail"})


def ma_bucket(st: State, number: str | None) -> str:
    phone = st.phone(number)
    if phone is None or phone.personal or phone.type in _PERSONAL:
        return "personal"
    return "other"


def _ma_counts(e: Event) -> bool:
    if e.in_reply_to_consumer_contact:
        return False
    if e.type == E.TEXT_SENT:
        return True
    if e.outcome in ("busy", "not_in_service"):
        return False
    return not (e.outcome == "no_answer" and e.message_possible is False)


def ma_counts(st: State, debt_id: str, bucket: str, day: date) -> int:
    days = 7 if bucket == "personal" else 30
    start, tz = day - timedelta(days=days - 1), zone(_MA_TZ)
    return sum(1 for e in st.of(E.CALL_PLACED, E.TEXT_SENT)
               if _ma_counts(e) and st.concerns(e, debt_id) and ma_bucket(st, e.number) == bucket
               and (e.person in (None, st.consumer_id)) and start <= e.at.astimezone(tz).date() <= day)


def _massachusetts(st: State) -> None:
    act = st.action
    if act.type not in (A.CALL, A.TEXT, A.VOICEMAIL_MESSAGE) or act.in_reply_to_consumer_contact:
        return
    if not st.is_consumer_side(st.person):
        return
    bucket = ma_bucket(st, act.number)
    day = st.at.astimezone(zone(_MA_TZ)).date()
    for debt_id in st.action_debts():
        count = ma_counts(st, debt_id, bucket, day) + 1
        st.computed.setdefault("ma_counts", {})[f"{debt_id}:{bucket}"] = count
        if count > 2:
            st.block(Code.MA_TEL_CAP_7D if bucket == "personal" else Code.MA_TEL_CAP_30D_OTHER)


def _wa_counts(st: State, e: Event) -> bool:
    if e.in_reply_to_consumer_contact or st.role_of(e.person) not in ("consumer", "spouse"):
        return False
    return e.type != E.CALL_PLACED or e.outcome in _WA_CALL_OUTCOMES


def _washington(st: State) -> None:
    act = st.action
    if act.type not in (A.CALL, A.TEXT, A.EMAIL, A.LETTER, A.VOICEMAIL_MESSAGE, A.SOCIAL_MEDIA_MESSAGE):
        return
    if act.in_reply_to_consumer_contact or st.role_of(st.person) not in ("consumer", "spouse"):
        return
    tz = zone(_WA_TZ)
    day = st.at.astimezone(tz).date()
    start = day - timedelta(days=6)
    recent = [e for e in st.of(E.CALL_PLACED, E.TEXT_SENT, E.EMAIL_SENT, E.LETTER_SENT)
              if _wa_counts(st, e) and start <= e.at.astimezone(tz).date() <= day]
    st.computed["wa_count_7d"] = len(recent) + 1
    if len(recent) + 1 > 3:
        st.block(Code.WA_COMM_CAP_WEEK)
    work_phone = st.phone(act.number)
    if work_phone is not None and work_phone.type == "work":
        at_work = [e for e in recent if (p := st.phone(e.number)) is not None and p.type == "work"]
        if len(at_work) + 1 > 1:
            st.block(Code.WA_COMM_CAP_WEEK)


def check(st: State) -> None:
    if not st.us or not st.profile.state_overlays:
        return
    if "MA" in st.states:
        _massachusetts(st)
    if "WA" in st.states:
        _washington(st)

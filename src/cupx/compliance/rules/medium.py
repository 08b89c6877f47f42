"""R-08 prohibited media (12 CFR 1006.14(h)), R-10 opt-out notice in electronic messages (1006.6(e))
and TCPA consent / revocation (47 U.S.C. 227(b)(1)(A)(iii), 47 CFR 64.1200(a)(10); convention C-20).

Invariants: a restriction names a whole medium or one address/number; an electronic opt-out bars that
address/number for every debt; "electronic" covers email, text and social media; an oral cease is a
telephone restriction; a STOP reply to a text is both a TCPA revocation and a text restriction for that
number. Exceptions: one confirmation after an opt-out, one response in the medium the consumer used,
and statements required by law (not for an opted-out electronic address, comment 42(a)(1)-4).
TCPA revocations take effect at once when recorded (no 10-business-day grace).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, Event, EventType
from cupx.compliance.rules.cease import ORAL_MEDIA
from cupx.compliance.rules.common import OUTBOUND_MEDIUM, normalise_medium, reply_once_available
from cupx.compliance.state import State

__all__ = ["AUTOMATED", "STOP_WORDS", "check", "restricted_media", "tcpa_state"]

E = EventType
A = ActionType
AUTOMATED = frozenset({"atds", "prerecorded", "artificial_voice"})
STOP_WORDS = frozenset({"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe"})
_ELECTRONIC = frozenset({"email", "text", "social_media"})


def _target(st: State) -> str | None:
    return st.action.number if st.channel in ("telephone_call", "text") else st.action.address


def _covers(st: State, e: Event, medium: str) -> bool:
    want = normalise_medium(e.medium)
    if want != medium and not (want == "electronic" and medium in _ELECTRONIC):
        return False
    own = e.number or e.address
    return own is None or own == _target(st)


def restricted_media(st: State) -> list[Event]:
    """Restrictions (medium_restriction, oral cease, STOP text revocation) covering this action."""
    medium = st.channel or ""
    out = [e for e in st.of(E.MEDIUM_RESTRICTION)
           if not e.withdrawn and (e.person is None or e.person == st.person) and _covers(st, e, medium)]
    if medium == "telephone_call":
        out += [e for e in st.of(E.CEASE_NOTICE) if normalise_medium(e.medium) in ORAL_MEDIA]
    if medium == "text":
        out += [e for e in st.of(E.TCPA_REVOCATION)
                if _text_stop(e) and (e.number or e.address) in (None, st.action.number)]
    return out


def _text_stop(e: Event) -> bool:
    return normalise_medium(e.method or e.medium) == "text" or (e.keyword or "").strip().lower() in STOP_WORDS


def _flagged_opted_out(st: State) -> bool:
    """A stored `opted_out: true` on the phone or email entry (the contact-point record of an opt-out)."""
    if st.channel == "text":
        entry: object = st.phone(st.action.number)
    else:
        entry = next((e for e in st.ctx.emails if e.address == st.action.address), None)
    extra = getattr(entry, "model_extra", None) or {}
    return extra.get("opted_out") is True


def _confirmation_available(st: State, after: datetime, within: timedelta | None = None) -> bool:
    content = st.action.content
    if content is None or not (content.only_confirmation or content.purpose == "opt_out_confirmation"):
        return False
    if within is not None and st.at - after > within:
        return False
    return not any(e.at > after and OUTBOUND_MEDIUM.get(e.type) == st.channel for e in st.events)


def _reg_f(st: State) -> None:
    act = st.action
    purpose = act.content.purpose if act.content is not None else act.purpose
    for e in restricted_media(st):
        if purpose == "required_by_law_statement" or reply_once_available(st, since=e.at):
            continue
        if e.type == E.TCPA_REVOCATION and _confirmation_available(st, e.at):
            continue
        st.block(Code.REGF_PROHIBITED_MEDIUM)
    if st.channel in ("text", "email") and _flagged_opted_out(st) and not _confirmation_available(st, st.cutoff):
        st.block(Code.REGF_PROHIBITED_MEDIUM)
    if st.channel in ("text", "email"):
        for e in st.of(E.ELECTRONIC_OPT_OUT):
            if (e.number or e.address) == _target(st) and not _confirmation_available(st, e.at):
                if not reply_once_available(st, since=e.at):
                    st.block(Code.REGF_PROHIBITED_MEDIUM)
    if act.type in (A.EMAIL, A.TEXT, A.SOCIAL_MEDIA_MESSAGE):
        content = act.content
        if content is None or not (content.opt_out_instruction or content.only_confirmation):
            st.block(Code.REGF_OPT_OUT_NOTICE_MISSING)


def _phone_consent(st: State, value: object) -> bool:
    """A consent flag stored on the phone: true, or {given: true, debt_ids: [...]}."""
    if isinstance(value, dict):
        debts = [str(d) for d in value.get("debt_ids") or ()]
        return value.get("given", True) is not False and (not debts or any(d in debts for d in st.action_debts()))
    return bool(value)


def tcpa_state(st: State) -> Code | None:
    """The TCPA code for an automated call/text to a mobile number, or None."""
    act = st.action
    if act.type not in (A.CALL, A.TEXT, A.VOICEMAIL_MESSAGE) or act.dialing not in AUTOMATED:
        return None
    phone = st.phone(act.number)
    if phone is not None and phone.type != "mobile":
        return None
    consents = [e for e in st.of(E.TCPA_CONSENT) if (e.number or e.address) in (None, act.number)
                and (not e.debt_ids or any(st.concerns(e, d) for d in st.action_debts()))]
    revocations = [e for e in st.of(E.TCPA_REVOCATION) if (e.number or e.address) in (None, act.number)]
    last_consent = consents[-1].at if consents else None
    if revocations and (last_consent is None or revocations[-1].at >= last_consent):
        if act.type == A.TEXT and _confirmation_available(st, revocations[-1].at, timedelta(minutes=5)):
            return None
        return Code.TCPA_CONSENT_REVOKED
    standing = phone is not None and (_phone_consent(st, phone.tcpa_consent) or bool(
        (phone.model_extra or {}).get("provided_by_consumer_to_creditor")))
    return None if consents or standing else Code.TCPA_NO_CONSENT


def check(st: State) -> None:
    if st.regf and st.channel is not None and st.channel != "inbound_call":
        _reg_f(st)
    if st.us and st.profile.tcpa:
        code = tcpa_state(st)
        if code is not None:
            st.block(code)

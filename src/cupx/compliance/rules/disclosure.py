"""R-11 debt-collector disclosures (12 CFR 1006.18(e)) and template threats on time-barred debts
(R-14, 1006.26(b); UK CONC 7.15).

Invariants: the initial communication needs the full (e)(1) statement; later communications need at
least the (e)(2) statement (a full statement also satisfies it); a limited-content message is not a
communication; a consumer's callback after an LCM, with no earlier communication, is the initial one.
"""

from __future__ import annotations

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, EventType
from cupx.compliance.state import COMMUNICATIONS, State

__all__ = ["check", "is_initial_communication"]

E = EventType
A = ActionType
_PRIOR = (E.INITIAL_COMMUNICATION, E.TELEPHONE_CONVERSATION, E.EMAIL_SENT, E.TEXT_SENT, E.LETTER_SENT,
          E.LETTER_MAILED, E.VALIDATION_NOTICE)


def is_initial_communication(st: State) -> bool:
    """No communication with the consumer is on file before this action."""
    for e in st.of(*_PRIOR):
        if e.type == E.TELEPHONE_CONVERSATION or e.person in (None, st.person, st.consumer_id):
            return False
    return not any(c.outcome == "voicemail_message" for c in st.of(E.CALL_PLACED))


_WRITTEN_SENT = (E.EMAIL_SENT, E.TEXT_SENT, E.LETTER_SENT, E.LETTER_MAILED, E.VALIDATION_NOTICE)
_WRITTEN_ACTIONS = frozenset({A.EMAIL, A.TEXT, A.LETTER, A.SOCIAL_MEDIA_MESSAGE})


def first_written_after_oral_initial(st: State) -> bool:
    """1006.18(e)(1): after an oral initial communication, the first written one repeats the disclosure."""
    if st.action.type not in _WRITTEN_ACTIONS or st.of(*_WRITTEN_SENT):
        return False
    return bool(st.of(E.TELEPHONE_CONVERSATION)) or any(
        (e.medium or "").lower() in ("telephone_call", "phone", "call", "oral", "in_person")
        for e in st.of(E.INITIAL_COMMUNICATION))


def _disclosure(st: State) -> None:
    act, content = st.action, st.action.content
    if content is None or act.type not in COMMUNICATIONS or content.only_confirmation:
        return
    if content.limited_content or not st.is_consumer_side(st.person):
        return
    initial = is_initial_communication(st) or first_written_after_oral_initial(st)
    st.computed["initial_communication"] = initial
    if initial and content.disclosure != "initial_full":
        st.block(Code.REGF_DISCLOSURE_MISSING)
    elif not initial and content.disclosure not in ("initial_full", "subsequent"):
        st.block(Code.REGF_DISCLOSURE_MISSING)


def _litigation_threat(st: State) -> None:
    content = st.action.content
    if content is None or not content.litigation_reference:
        return
    for debt_id in st.action_debts():
        debt = st.debt(debt_id)
        if debt is None:
            continue
        if st.time_barred(debt):
            if st.regf:
                st.block(Code.REGF_TIME_BARRED_LEGAL_ACTION)
            if st.uk:
                st.block(Code.UK_CONC_STATUTE_BARRED)


def check(st: State) -> None:
    if st.regf:
        _disclosure(st)
    _litigation_threat(st)

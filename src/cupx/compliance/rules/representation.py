"""R-04 attorney representation (12 CFR 1006.6(b)(2), 1006.10(b)(5)), R-05 place of employment
(1006.6(b)(3)) and R-07 third parties and social media (1006.6(d)(1), 1006.10, 1006.22(f)).

Invariants: representation is per debt; only a human-recorded attorney failure to respond or the
attorney's consent lifts it (no automatic "reasonable period"); a consumer-initiated communication
allows one response; communicating with the attorney is always allowed.
"""

from __future__ import annotations

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, Event, EventType
from cupx.compliance.rules.common import reply_once_available
from cupx.compliance.state import COMMUNICATIONS, State

__all__ = ["attorney_blocks_debt", "check"]

E = EventType
A = ActionType
_PUBLIC = frozenset({"public", "contacts", "friends", "followers", "connections"})


def _name_address_known(e: Event) -> bool:
    extra = e.model_extra or {}
    return all(extra.get(k, True) is not False for k in ("name_address_known", "address_known",
                                                           "readily_ascertainable"))


def attorney_blocks_debt(st: State, debt_id: str) -> bool:
    """True when a known, un-lifted representation covers `debt_id` (and no one-off reply applies)."""
    for rep in st.of(E.ATTORNEY_KNOWN):
        if not st.concerns(rep, debt_id) or not _name_address_known(rep):
            continue
        lifted = any(x.at >= rep.at and st.concerns(x, debt_id)
                     for x in st.of(E.ATTORNEY_FAILED_TO_RESPOND, E.ATTORNEY_CONSENT))
        if not lifted and not reply_once_available(st, since=rep.at):
            return True
    return False


def _attorney(st: State) -> None:
    act = st.action
    if act.type not in COMMUNICATIONS:
        return
    if st.is_consumer_side(st.person):
        if any(attorney_blocks_debt(st, d) for d in st.action_debts()):
            st.block(Code.REGF_ATTORNEY_REPRESENTED)
    elif st.role_of(st.person) == "third_party" and act.purpose == "location_information":
        if any(attorney_blocks_debt(st, d) for d in st.action_debts()):
            st.block(Code.REGF_THIRD_PARTY_DISCLOSURE)


def _at_work(st: State) -> bool:
    act = st.action
    if act.known_location == "work":
        return True
    if act.type in (A.CALL, A.VOICEMAIL_MESSAGE, A.TEXT):
        phone = st.phone(act.number)
        return phone is not None and phone.type == "work"
    if act.type == A.LETTER:
        return any(ad.id == act.address_id and ad.place == "work" for ad in st.ctx.addresses)
    return False


def _third_party(st: State) -> None:
    act, content = st.action, st.action.content
    codes = []
    if act.type == A.SOCIAL_MEDIA_MESSAGE and (act.visibility or "private") in _PUBLIC:
        codes.append(Code.REGF_SOCIAL_MEDIA_PUBLIC)
    postcard = (content is not None and content.postcard) or any(
        ad.id == act.address_id and ad.postcard for ad in st.ctx.addresses)
    if act.type == A.LETTER and postcard:
        codes.append(Code.REGF_THIRD_PARTY_DISCLOSURE)
    if st.role_of(st.person) == "third_party" and act.type in COMMUNICATIONS:
        mentions = content.debt_mentioned if content is not None else act.purpose != "location_information"
        if mentions and act.exception not in ("consumer_consent", "court_permission", "post_judgment"):
            codes.append(Code.REGF_THIRD_PARTY_DISCLOSURE)
    if st.uk and act.type == A.VOICEMAIL_MESSAGE and content is not None and content.debt_mentioned \
            and not content.limited_content:
        phone = st.phone(act.number)
        shared = phone is None or (phone.model_extra or {}).get("shared") is True or phone.type in (
            "residential_landline", "landline", "shared", "unknown")
        if shared:
            st.block(Code.UK_CONC_THIRD_PARTY_DISCLOSURE)  # CONC 7.9.8G: others may hear a debt voicemail
    for code in codes:
        if st.regf:
            st.block(code)
        if st.uk:
            st.block(Code.UK_CONC_THIRD_PARTY_DISCLOSURE)


def check(st: State) -> None:
    if st.regf:
        _attorney(st)
        if st.action.type in COMMUNICATIONS and _at_work(st) and st.of(E.EMPLOYER_PROHIBITS):
            st.block(Code.REGF_WORKPLACE_PROHIBITED)
    if st.regf or st.uk:
        _third_party(st)

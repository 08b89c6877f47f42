"""Helpers shared by rule families: medium normalisation and the "respond once" exceptions
(comments 6(b)(1)-2, 6(b)(2)-1, §1006.14(h)(2)(ii))."""

from __future__ import annotations

from cupx.compliance.models import Event, EventType
from cupx.compliance.state import State

__all__ = ["MEDIUM_ALIASES", "OUTBOUND_MEDIUM", "is_reply", "normalise_medium", "reply_once_available"]

E = EventType
OUTBOUND_MEDIUM: dict[EventType, str] = {
    E.CALL_PLACED: "telephone_call", E.TEXT_SENT: "text", E.EMAIL_SENT: "email", E.LETTER_SENT: "mail",
    E.LETTER_MAILED: "mail",
}
MEDIUM_ALIASES = {
    "calls": "telephone_call", "phone_call": "telephone_call", "texts": "text", "emails": "email",
    "letters": "mail", "e-mail": "email", "postal_mail": "mail",
    "call": "telephone_call", "phone": "telephone_call", "telephone": "telephone_call", "oral": "telephone_call",
    "voice": "telephone_call", "sms": "text", "text_message": "text", "letter": "mail", "postal": "mail",
    "post": "mail", "inbound_call": "telephone_call", "web": "portal", "website": "portal", "app": "portal",
}


def normalise_medium(medium: str | None) -> str:
    value = (medium or "").strip().lower()
    return MEDIUM_ALIASES.get(value, value)


def is_reply(st: State) -> bool:
    content = st.action.content
    return st.action.in_reply_to_consumer_contact or (content is not None and content.purpose == "reply_to_consumer")


def _same_target(e: Event, st: State) -> bool:
    target = st.action.number or st.action.address
    own = e.number or e.address
    return target is None or own is None or own == target


def reply_once_available(st: State, since: object = None) -> bool:
    """The consumer contacted the collector through this action's medium (after `since`, if given) and
    the collector has not yet responded through that medium since then: one response is allowed."""
    if not is_reply(st) and st.action.type.value != "inbound_call_script":
        return False
    medium = st.channel if st.channel != "inbound_call" else "telephone_call"
    inbound = [e for e in st.of(E.CONSUMER_INITIATED_CONTACT)
               if normalise_medium(e.medium) == medium and (since is None or e.at >= since)]  # type: ignore[operator]
    if not inbound:
        return False
    last = inbound[-1]
    for e in st.events:
        if e.at > last.at and OUTBOUND_MEDIUM.get(e.type) == medium and _same_target(e, st):
            return False
    return True

"""R-06 cease communication and refusal to pay (12 CFR 1006.6(c); conventions C-8, C-9).

Invariants: only a WRITTEN notice counts (mail, fax, in-person paper; email/portal when the collector
accepts electronic communications, comments 6(c)(1)-1/-2), from the moment it is received (`at`); a
notice naming debts covers those debts, one naming none covers every debt (C-9); an oral "stop" is a
medium restriction on calls (R-08, see medium.py), not a cease. After a cease, only the §1006.6(c)(2)
notices (ending collection, possible or intended remedies) are allowed.
"""

from __future__ import annotations

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, Event, EventType
from cupx.compliance.rules.common import normalise_medium
from cupx.compliance.state import COMMUNICATIONS, State

__all__ = ["ALLOWED_AFTER_CEASE", "ORAL_MEDIA", "check", "is_written_cease"]

E = EventType
ORAL_MEDIA = frozenset({"telephone_call", "in_person_oral", "voicemail"})
ALLOWED_AFTER_CEASE = frozenset({"cease_termination_notice", "remedy_notice", "required_by_law_statement",
                                 "collection_ending", "intended_remedy_notice"})


def is_written_cease(st: State, e: Event) -> bool:
    medium = normalise_medium(e.medium) or "mail"
    if medium in ORAL_MEDIA or e.written is False:
        return False
    if medium in ("email", "portal", "text"):
        return st.ctx.accepts_electronic_communications
    return True


def check(st: State) -> None:
    act = st.action
    if not st.regf or act.type not in COMMUNICATIONS or act.type == ActionType.INBOUND_CALL_SCRIPT:
        return  # answering the consumer's own call is not a further communication by the collector
    purpose = act.content.purpose if act.content is not None else act.purpose
    if purpose in ALLOWED_AFTER_CEASE:
        return
    notices = [e for e in st.of(E.CEASE_NOTICE) if is_written_cease(st, e)]
    if any(st.concerns(n, d) for n in notices for d in st.action_debts()):
        st.block(Code.REGF_CEASE_COMMUNICATION)

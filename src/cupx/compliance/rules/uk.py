"""UK FCA CONC 7 (RULES.md §5.1): pressure on customers in difficulty (7.3.10R), disputed debts
(7.14.1R) and statute-barred debts (7.15). Times are in timing.py (7.9.4R), third-party disclosure in
representation.py (7.9.6R-7.9.7R), GDPR in records.py.

Invariants: a disputed debt's recovery steps are suspended until the dispute is resolved; once the
customer says a debt is statute-barred, payment demands on it stop.
"""

from __future__ import annotations

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, EventType
from cupx.compliance.rules.validation import ALLOWED_DURING_DISPUTE
from cupx.compliance.state import COMMUNICATIONS, State

__all__ = ["check"]

E = EventType
A = ActionType


def _in_difficulty(st: State) -> bool:
    flags = set(st.ctx.consumer.flags)
    return bool(flags & {"financial_difficulty", "vulnerable"}) or bool(st.of(E.FINANCIAL_DIFFICULTY_DECLARED))


def check(st: State) -> None:
    if not st.uk:
        return
    act, content = st.action, st.action.content
    if content is not None and (content.single_payment_demand or content.short_deadline
                                or content.suggest_borrowing_or_sale) and _in_difficulty(st):
        st.block(Code.UK_CONC_PRESSURE)
    purpose = content.purpose if content is not None else act.purpose
    if act.type in COMMUNICATIONS | {A.FILE_LAWSUIT, A.FURNISH_TO_CRA} and purpose not in ALLOWED_DURING_DISPUTE:
        for debt_id in st.action_debts():
            for d in st.of(E.DISPUTE):
                resolved = any(r.at >= d.at and st.concerns(r, debt_id)
                               for r in st.of(E.UK_DISPUTE_RESOLVED, E.VERIFICATION_SENT))
                if st.concerns(d, debt_id) and not resolved:
                    st.block(Code.UK_CONC_DISPUTED_DEBT)
    demanding = content is not None and (content.payment_demand or content.purpose == "collection")
    if act.type in COMMUNICATIONS and demanding:
        for debt_id in st.action_debts():
            if any(st.concerns(e, debt_id) for e in st.of(E.STATUTE_BARRED_ASSERTION)):
                st.block(Code.UK_CONC_STATUTE_BARRED)

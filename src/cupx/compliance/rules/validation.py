"""R-12 validation period (12 CFR 1006.34; conventions C-4, C-5, C-16) and R-13 disputes and
original-creditor requests (1006.38; convention C-6).

Invariants: the end date is assumed receipt + 30 days (C-5) from the latest validation notice on the
debt that was not undeliverable (a re-sent notice restarts the period, comment 34(b)(5)-2); a printed end
date before `legal_minimum_end` is blocked; a dispute is timely when received on or before the end date
or submitted on or before it (C-6), evaluated in the consumer's local dates; a timely written dispute
blocks collection on that debt until verification (or a duplicative-dispute notice) is sent; other
debts are unaffected; untimely or oral disputes are recorded as an advisory.
"""

from __future__ import annotations

from datetime import date

from cupx.compliance.business_calendar import validation_notice_deadline, validation_period
from cupx.compliance.codes import Advisory, Code
from cupx.compliance.models import ActionType, Event, EventType
from cupx.compliance.state import COMMUNICATIONS, State, zone

__all__ = ["ALLOWED_DURING_DISPUTE", "check", "is_timely", "pending"]

E = EventType
A = ActionType
ALLOWED_DURING_DISPUTE = frozenset({"verification", "duplicative_dispute_notice", "original_creditor_info",
                                    "required_by_law_statement", "judgment_copy"})
_BLOCKED_ACTIONS = COMMUNICATIONS | {A.FURNISH_TO_CRA, A.FILE_LAWSUIT}


def _period_end(st: State, debt_id: str, received: Event) -> date | None:
    notices = [n for n in st.of(E.VALIDATION_NOTICE)
               if st.concerns(n, debt_id) and not n.undeliverable and n.at <= received.at]
    if not notices:
        return None
    n = notices[-1]
    provided = n.provided_on or n.at.astimezone(zone(st.ctx.collector_business_tz)).date()
    end = validation_period(provided).end
    return max(end, n.stated_end_date) if n.stated_end_date else end


def is_timely(st: State, debt_id: str, e: Event) -> bool:
    """C-6 in every candidate zone (protective: timely if timely in any local calendar)."""
    end = _period_end(st, debt_id, e)
    if end is None:
        return True  # no validation period has run out
    instants = [e.at] + ([e.submitted_at] if e.submitted_at else [])
    return any(t.astimezone(zone(z)).date() <= end for t in instants for z in st.zones)


def pending(st: State, debt_id: str, request: EventType, answers: tuple[EventType, ...]) -> tuple[bool, bool]:
    """(timely request pending, untimely-or-oral request on file) for one debt."""
    is_pending = untimely = False
    for e in st.of(request):
        if not st.concerns(e, debt_id):
            continue
        if e.written is False or not is_timely(st, debt_id, e):
            untimely = True
            continue
        answered = any(a.at >= e.at and st.concerns(a, debt_id) for a in st.of(*answers))
        is_pending = is_pending or not answered
    return is_pending, untimely


def _notice_dates(st: State) -> tuple[date | None, date | None]:
    """(provided_on, stated_end_date) from the action, else from the latest validation notice on file."""
    act = st.action
    if act.provided_on is not None or act.mail_on is not None:
        return act.provided_on or act.mail_on, act.stated_end_date
    notices = [n for n in st.of(E.VALIDATION_NOTICE) if not n.undeliverable
               and (not act.debt_ids or any(st.concerns(n, d) for d in act.debt_ids))]
    if not notices:
        return None, act.stated_end_date
    n = notices[-1]
    provided = n.provided_on or n.at.astimezone(zone(st.ctx.collector_business_tz)).date()
    return provided, act.stated_end_date or n.stated_end_date


def _compute(st: State) -> None:
    act = st.action
    provided, stated = _notice_dates(st) if act.type in (A.COMPUTE_VALIDATION_PERIOD,
                                                          A.CHECK_VALIDATION_END_DATE) else (None, None)
    if act.type == A.COMPUTE_VALIDATION_PERIOD:
        st.not_applicable = True
    if provided is not None:
        vp = validation_period(provided)
        st.computed.update(assumed_receipt_date=vp.assumed_receipt_date.isoformat(),
                           validation_period_end=vp.end.isoformat(), legal_minimum_end=vp.legal_minimum_end.isoformat())
        if act.type == A.CHECK_VALIDATION_END_DATE and stated and stated < vp.legal_minimum_end:
            st.block(Code.REGF_VALIDATION_END_DATE_TOO_EARLY)
    if act.type == A.COMPUTE_VALIDATION_NOTICE_DEADLINE:
        st.not_applicable = True
        initial = act.initial_communication_on or next(
            (e.at.astimezone(zone(st.ctx.collector_business_tz)).date() for e in st.of(E.INITIAL_COMMUNICATION)), None)
        if initial is not None:
            st.computed["validation_notice_deadline"] = validation_notice_deadline(initial).isoformat()
            paid = act.paid_in_full_on
            deadline = validation_notice_deadline(initial)
            st.computed["validation_notice_required"] = not (paid is not None and paid <= deadline)


def _notice_end_date(st: State) -> None:
    act, content = st.action, st.action.content
    if act.type in COMMUNICATIONS and content is not None and content.purpose == "validation_notice":
        provided = act.mail_on or act.provided_on or st.on
        vp = validation_period(provided)
        st.computed.update(validation_period_end=vp.end.isoformat(), legal_minimum_end=vp.legal_minimum_end.isoformat())
        if act.stated_end_date and act.stated_end_date < vp.legal_minimum_end:
            st.block(Code.REGF_VALIDATION_END_DATE_TOO_EARLY)


def _period_facts(st: State) -> None:
    """Validation dates of the latest deliverable notice on the action's debts (for the record)."""
    found: dict[str, tuple[str, str, str]] = {}
    for debt_id in st.action_debts():
        notices = [n for n in st.of(E.VALIDATION_NOTICE) if st.concerns(n, debt_id) and not n.undeliverable]
        if notices:
            n = notices[-1]
            vp = validation_period(n.provided_on or n.at.astimezone(zone(st.ctx.collector_business_tz)).date())
            last = max(vp.end, n.stated_end_date) if n.stated_end_date else vp.end
            found[debt_id] = (vp.assumed_receipt_date.isoformat(), last.isoformat(), vp.legal_minimum_end.isoformat())
    if len(set(found.values())) == 1:
        receipt, end, legal = next(iter(found.values()))
        st.computed.update(assumed_receipt_date=receipt, validation_period_end=end, legal_minimum_end=legal)
    elif found:
        st.computed["validation_period_end"] = {d: v[1] for d, v in found.items()}


def check(st: State) -> None:
    _compute(st)  # computations answer for every role
    if not st.regf:
        return
    _notice_end_date(st)
    if st.action.type in _BLOCKED_ACTIONS and st.of(E.VALIDATION_NOTICE):
        _period_facts(st)
    act = st.action
    if act.type not in _BLOCKED_ACTIONS:
        return
    purpose = act.content.purpose if act.content is not None else act.purpose
    if purpose in ALLOWED_DURING_DISPUTE:
        return
    for debt_id in st.action_debts():
        disputed, late = pending(st, debt_id, E.DISPUTE, (E.VERIFICATION_SENT, E.DUPLICATIVE_DISPUTE_NOTICE))
        if disputed:
            st.block(Code.REGF_DISPUTE_PENDING)
        if late:
            st.advise(Advisory.ADV_UNTIMELY_DISPUTE_RECORDED)
        oc, _ = pending(st, debt_id, E.ORIGINAL_CREDITOR_REQUEST, (E.ORIGINAL_CREDITOR_INFO_SENT,))
        if oc:
            st.block(Code.REGF_ORIGINAL_CREDITOR_REQUEST_PENDING)

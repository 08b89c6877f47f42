"""Non-contact actions: R-14 legal action on time-barred debt (12 CFR 1006.26(b); UK CONC 7.15), R-15
furnishing (1006.30(a); C-10), R-16 sale and transfer (1006.30(b)), R-18 retention (1006.100; C-15) and
GDPR Art. 17 erasure and Art. 22 automated decisions (§5.2).

Invariants: furnishing is allowed after a conversation about the debt, or from day 15 after a letter or
electronic message about it (mailing date = day 1) with no undeliverability notice received within the
14-day period; records are kept through last activity + 3 years (recordings: call date + 3 years;
Feb 29 -> Mar 1) and may be deleted from the next day.
"""

from __future__ import annotations

from datetime import timedelta

from cupx.compliance.business_calendar import retention_until
from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, EventType
from cupx.compliance.state import State, zone

__all__ = ["check", "furnishing_allowed_from"]

E = EventType
A = ActionType
_SETTLED = frozenset({"paid", "paid_in_full", "settled", "discharged", "discharged_in_bankruptcy"})
_TRANSFER_EXCEPTIONS = frozenset({"transfer_to_owner", "previous_owner_contract", "merger_acquisition",
                                  "lien_disclosed", "securitisation", "securitization", "collateral"})
# Decisions with legal or similarly significant effects when taken solely by automated processing.
_SIGNIFICANT = frozenset({A.FILE_LAWSUIT, A.SELL_DEBT, A.TRANSFER_DEBT, A.FURNISH_TO_CRA})
_ACTIVE = frozenset({"active", "in_collection", "open", "disputed", "in_arrears", "default", None})


def furnishing_allowed_from(st: State, debt_id: str) -> object:
    """The first date furnishing is allowed for `debt_id`, 'now' after a conversation, or None."""
    if any(st.concerns(c, debt_id) for c in st.of(E.TELEPHONE_CONVERSATION)):
        return "conversation"
    business = zone(st.ctx.collector_business_tz)
    best = None
    for m in st.of(E.LETTER_MAILED, E.LETTER_SENT, E.EMAIL_SENT, E.TEXT_SENT, E.VALIDATION_NOTICE):
        if not st.concerns(m, debt_id) or m.undeliverable:
            continue
        sent = m.mailed_on or m.provided_on or m.sent_on or m.at.astimezone(business).date()
        period_end = sent + timedelta(days=13)
        bounced = any(u.at.astimezone(business).date() <= period_end and u.at >= m.at and st.concerns(u, debt_id)
                      for u in st.of(E.UNDELIVERABLE_NOTICE))
        if not bounced:
            first = sent + timedelta(days=14)
            best = first if best is None or first < best else best
    return best


def _furnish(st: State) -> None:
    for debt_id in st.action_debts():
        allowed = furnishing_allowed_from(st, debt_id)
        if allowed == "conversation":
            continue
        if allowed is not None:
            st.computed.setdefault("furnishing_allowed_from", {})[debt_id] = str(allowed)
        if allowed is None or st.on < allowed:  # type: ignore[operator]
            st.block(Code.REGF_FURNISHING_BEFORE_CONTACT)


def _retention(st: State) -> None:
    act = st.action
    if act.record_kind == "call_recording" or act.call_date is not None:
        day = act.call_date or next((e.at.date() for e in st.of(E.CALL_RECORDING_CREATED)), None)
        if day is not None:
            keep = retention_until(day)
            st.computed["retain_until"] = keep.isoformat()
            if st.on <= keep:
                st.block(Code.REGF_RETENTION_PERIOD_ACTIVE)
        return
    for debt_id in st.action_debts():
        debt = st.debt(debt_id)
        if debt is None or debt.last_collection_activity_on is None:
            continue
        keep = retention_until(debt.last_collection_activity_on)
        st.computed.setdefault("retain_until", {})[debt_id] = keep.isoformat()
        if st.on <= keep:
            st.block(Code.REGF_RETENTION_PERIOD_ACTIVE)


def _gdpr(st: State) -> None:
    act = st.action
    if act.type == A.ERASE_PERSONAL_DATA:
        active = [d for d in st.action_debts() if (st.debt(d) is not None and st.debt(d).status in _ACTIVE)]
        expired = all(st.debt(d).last_collection_activity_on is not None
                      and st.on > retention_until(st.debt(d).last_collection_activity_on) for d in active)
        if active and not expired:
            st.block(Code.GDPR_ERASURE_EXEMPT)
            st.partial = True
            st.computed["erasure_scope"] = "optional_data_only"
    significant = act.type == A.AUTOMATED_DECISION or (act.automated and act.type in _SIGNIFICANT)
    if significant and act.significant_effect:
        reviewed = act.reviewer or any(e.reviewer for e in st.of(E.HUMAN_REVIEW))
        if not reviewed:
            st.block(Code.GDPR_ART22_HUMAN_REVIEW)


def check(st: State) -> None:
    act = st.action
    barred = [st.debt(d) for d in st.action_debts()]
    if act.type == A.FILE_LAWSUIT:
        for debt in barred:
            if debt is None:
                continue
            if st.time_barred(debt):
                if st.regf:
                    st.block(Code.REGF_TIME_BARRED_LEGAL_ACTION)
                if st.uk:
                    st.block(Code.UK_CONC_STATUTE_BARRED)
    if st.regf and act.type == A.FURNISH_TO_CRA:
        _furnish(st)
    if st.regf and act.type in (A.SELL_DEBT, A.TRANSFER_DEBT) and act.exception not in _TRANSFER_EXCEPTIONS:
        if any(d is not None and (d.status in _SETTLED or d.identity_theft) for d in barred):
            st.block(Code.REGF_TRANSFER_PROHIBITED)
    if act.type == A.DELETE_RECORDS and (st.regf or st.us):
        _retention(st)
    if st.uk:
        _gdpr(st)

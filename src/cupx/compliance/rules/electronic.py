"""R-09 email and text procedures (12 CFR 1006.6(d)(3)-(5), 1006.22(f)(3); CU-PX policy C-11).

A collection email or text goes out only when the address/number qualifies under a recorded
procedure. Email routes: consumer_used (i)(A), consumer_consent (i)(B), creditor_notice (ii: named
collector, deadline >= 35 days after the notice, period expired, public domain, not employer-provided)
and prior_collector (iii: the immediately prior collector used it). Text routes: consumer_texted (i) and
consumer_consent (ii), each needing a consumer text/consent or a clean reassigned-number check within the
past 60 days. Invariant: an opt-out of the address/number since the route was established breaks it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from cupx.compliance.codes import Code
from cupx.compliance.models import ActionType, EventType
from cupx.compliance.state import State

__all__ = ["check", "email_route_ok", "text_route_ok"]

E = EventType
_EXEMPT_PURPOSES = frozenset({"opt_out_confirmation"})


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text[:10])


def _provenance(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"route": raw}
    data = dict(raw)
    data.setdefault("route", data.get("basis") or data.get("kind") or data.get("type"))
    return data


def _opted_out(st: State, target: str) -> bool:
    return any((e.number or e.address) == target for e in st.of(E.ELECTRONIC_OPT_OUT))


def email_route_ok(st: State, email: Any, on: date) -> tuple[bool, str | None]:
    """(qualifies, route) for an email address entry on date `on`."""
    prov = _provenance(email.provenance)
    route = prov.get("route")
    if _opted_out(st, email.address):
        return False, route
    if route in ("consumer_used", "consumer_consent"):
        return prov.get("withdrawn") is not True, route
    if route == "creditor_notice":
        notice, deadline = _as_date(prov.get("notice_date")), _as_date(prov.get("opt_out_deadline"))
        ok = (notice is not None and deadline is not None and deadline >= notice + timedelta(days=35)
              and on > deadline and prov.get("named_collector", prov.get("notice_named_collector")) is True
              and prov.get("consumer_opted_out") is not True and email.domain_public
              and not email.employer_provided_known)
        return bool(ok), route
    if route == "prior_collector":
        chain = list(prov.get("chain") or [])
        ok = bool(chain) and chain[-1].get("used") is True and chain[0].get("route") in (
            "consumer_used", "consumer_consent", "creditor_notice") and prov.get("consumer_opted_out") is not True
        return ok, route
    return False, route


def text_route_ok(st: State, phone: Any, at: datetime) -> bool:
    prov = _provenance(phone.text_provenance)
    route = prov.get("route")
    if _opted_out(st, phone.number) or prov.get("opted_out") is True:
        return False
    floor = at.date() - timedelta(days=60)
    check_on = _as_date(prov.get("rnd_checked_on") or prov.get("reassigned_check_at") or prov.get("rnd_check_at"))
    clean = prov.get("rnd_result", prov.get("reassigned_check_result")) in ("not_reassigned", "clean", "no")
    if route in ("consumer_texted", "consumer_used"):
        last = _as_date(prov.get("last_consumer_text_at") or prov.get("consumer_last_text_at"))
        if last is None:
            return False
        return last >= floor or (clean and check_on is not None and check_on >= floor and check_on >= last)
    if route == "consumer_consent":
        if prov.get("withdrawn") is True:
            return False
        given = _as_date(prov.get("renewed_at") or prov.get("consent_renewed_at") or prov.get("consent_at")
                         or prov.get("consent_given_at"))
        if given is None:
            return False
        return given >= floor or (clean and check_on is not None and check_on >= floor and check_on >= given)
    return False


def _email(st: State) -> None:
    act = st.action
    email = next((e for e in st.ctx.emails if e.address == act.address), None)
    if email is None:
        st.block(Code.REGF_EMAIL_NO_PROCEDURE)
        return
    ok, route = email_route_ok(st, email, st.on)
    if not ok:
        st.block(Code.REGF_EMAIL_NO_PROCEDURE)
    if email.employer_provided_known and not (ok and route in ("consumer_used", "consumer_consent",
                                                               "prior_collector")):
        st.block(Code.REGF_EMAIL_EMPLOYER_PROVIDED)


def check(st: State) -> None:
    act = st.action
    if not st.regf or act.at is None:
        return
    purpose = act.content.purpose if act.content is not None else act.purpose
    if purpose in _EXEMPT_PURPOSES or act.in_reply_to_consumer_contact:
        return
    if act.type == ActionType.EMAIL:
        _email(st)
    elif act.type == ActionType.TEXT:
        phone = st.phone(act.number)
        if phone is None or not text_route_ok(st, phone, act.at):
            st.block(Code.REGF_TEXT_NO_PROCEDURE)

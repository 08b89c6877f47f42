"""The guard at send time: build the RULES.md §6 context, events and action for one outbox row from
what the dispatcher loaded, and ask `cupx.compliance` (contract C2).

- Context: collector role by the debt's region (Reg F collector in the US, FCA firm in the UK), the
  customer's candidate zones as location evidence, flags, phones (consent, opt-out, text provenance),
  emails (provenance, public domain, employer-provided), postal addresses, and every debt that the
  action or the history names.
- Events: `contact_events` in the guard's vocabulary; stored phone/email ids are turned back into the
  number/address (contact events never hold them in the clear). Event types the guard does not know
  (other areas' bookkeeping) are left out.
- `TIME_CODES`: a block made only of these is a matter of *when*, so the row is re-scheduled to
  `next_allowed_time` instead of being blocked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from cupx.comms.required import region_of
from cupx.services.dispatch_ports import ContactPoints, DebtFacts

__all__ = ["TIME_CODES", "ComplianceGuard", "Guard", "guard_action", "guard_context", "guard_events",
           "is_initial_communication"]

TIME_CODES = frozenset({"REGF_INCONVENIENT_TIME", "UK_CONC_UNREASONABLE_TIME"})
ACTION_TYPE = {"sms": "text", "email": "email", "letter": "letter", "call_task": "call", "review": "call"}
_COMMUNICATIONS = frozenset({"email_sent", "text_sent", "letter_sent", "telephone_conversation",
                             "initial_communication", "validation_notice"})


class Guard(Protocol):
    def evaluate(self, context: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                 action: Mapping[str, Any]) -> Any: ...

    def next_allowed_time(self, context: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                          channel: str | Mapping[str, Any], after: datetime) -> datetime | None: ...


class ComplianceGuard:
    """The real guard (`cupx.compliance.evaluate` / `next_allowed_time`)."""

    def evaluate(self, context: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                 action: Mapping[str, Any]) -> Any:
        from cupx.compliance import evaluate

        return evaluate(context, events, action)

    def next_allowed_time(self, context: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                          channel: str | Mapping[str, Any], after: datetime) -> datetime | None:
        from cupx.compliance import next_allowed_time

        result: datetime | None = next_allowed_time(context, events, channel, after)
        return result


@lru_cache(maxsize=1)
def _known_event_types() -> frozenset[str]:
    from cupx.compliance.models import EventType

    return frozenset(str(e) for e in EventType)


def is_initial_communication(events: Sequence[Mapping[str, Any]]) -> bool:
    """True when no communication has happened yet (R-11: the (e)(1) disclosure is due)."""
    for e in events:
        if e.get("type") in _COMMUNICATIONS:
            return False
        if e.get("type") == "call_placed" and e.get("outcome") == "answered":
            return False
    return True


def guard_events(events: Sequence[Mapping[str, Any]], cp: ContactPoints) -> list[dict[str, Any]]:
    known = _known_event_types()
    phones = {p["id"]: p["number"] for p in cp.phones}
    emails = {e["id"]: e["address"] for e in cp.emails}
    out: list[dict[str, Any]] = []
    for e in events:
        if e.get("type") not in known:
            continue
        ev = dict(e)
        if "phone_id" in ev and "number" not in ev:
            ev["number"] = phones.get(ev.pop("phone_id"))
        if "email_id" in ev and "address" not in ev:
            ev["address"] = emails.get(ev.pop("email_id"))
        out.append({k: v for k, v in ev.items() if v is not None})
    return out


def guard_context(cp: ContactPoints, debts: Sequence[DebtFacts], events: Sequence[Mapping[str, Any]],
                  as_of: datetime) -> dict[str, Any]:
    region = region_of(debts[0].jurisdiction) if debts else "US"
    person = str(cp.customer_id)
    evidence = [{"kind": "stated_location" if zone == cp.stated_tz else "postal_address", "value": zone, "tz": zone}
                for zone in cp.tz_candidates]
    debt_ids = {str(d.id) for d in debts}
    extra = {str(i) for e in events for i in (e.get("debt_ids") or ())} - debt_ids
    return {
        "collector_role": "uk_authorised_firm" if region == "UK" else "fdcpa_debt_collector",
        "collector_business_tz": "Europe/London" if region == "UK" else "America/New_York",
        "consumer": {"id": person, "location_evidence": evidence, "flags": list(cp.flags)},
        "debts": [{"id": str(d.id), "kind": d.product, "status": d.status,
                   "time_barred": bool(d.sol_date and as_of.date() > d.sol_date),
                   "jurisdictions": [d.jurisdiction]} for d in debts] + [{"id": i} for i in sorted(extra)],
        "phones": [_phone(p, person) for p in cp.phones],
        "emails": [{"address": e["address"], "person": person, "domain_public": e["domain_public"],
                    "employer_provided_known": e["employer_provided_known"], "provenance": e["provenance"],
                    "opted_out": e["opted_out"]} for e in cp.emails],
        "addresses": [{"id": str(a["id"]), "place": a["place"], "state": a["state"],
                       "postal_code": a["postal_code"]} for a in cp.addresses],
    }


def _phone(p: Mapping[str, Any], person: str) -> dict[str, Any]:
    consent_at = p.get("consent_at")
    consent = consent_at.isoformat() if consent_at else None
    return {"number": p["number"], "type": p["type"], "person": person, "opted_out": p["opted_out"],
            "wrong_number": p["wrong_number"],
            "tcpa_consent": {"given": bool(p["tcpa_consent"]), "at": consent} if p["tcpa_consent"] else False,
            "text_provenance": {"basis": p["provenance"], "consent_at": consent, "consent_renewed_at": consent}}


def guard_action(channel: str, now: datetime, person: int, target: Mapping[str, Any] | None,
                 debt_ids: Sequence[int], content: Mapping[str, Any], *, reply: bool = False) -> dict[str, Any]:
    kind = ACTION_TYPE.get(channel, channel)
    action: dict[str, Any] = {"type": kind, "person": str(person), "debt_ids": [str(d) for d in debt_ids],
                              "content": dict(content), "in_reply_to_consumer_contact": reply}
    if kind == "letter":
        action["mail_on"] = now.date().isoformat()
        action["at"] = now.isoformat()
        if target is not None:
            action["address_id"] = str(target["id"])
        return action
    action["at"] = now.isoformat()
    if kind == "email" and target is not None:
        action["address"] = target["address"]
    elif target is not None and "number" in target:
        action["number"] = target["number"]
        action["dialing"] = "manual" if kind == "call" else "atds"
    return action

"""What a template sees and where a message goes: template data from loaded facts, the template to
use for a row (with fallbacks), the contact point to use, and the message handed to the channel.

Template data has the same shape as `cupx.comms.rendering.sample_data` (a unit test keeps them in
step). Fallback order for a row's template: (id, channel, language), (id, channel, en),
(reminder, channel, language), (reminder, channel, en) - a missing translation still sends a
compliant message rather than none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date

from cupx.comms.rendering import TemplateSource, format_money
from cupx.domain.money import Money
from cupx.services.dispatch_ports import ContactPoints, DebtFacts

__all__ = ["Branding", "choose_target", "postal_block", "resolve_template", "template_data"]


@dataclass(frozen=True, slots=True)
class Branding:
    name: str = "CU-PX Collections"
    phone: str = "+1 555 010 0000"
    address: str = "1 Main St, Springfield, IL 62701"
    website: str = "http://127.0.0.1:8000"
    portal_url: str = "http://127.0.0.1:8000/portal"
    extra: Mapping[str, str] = field(default_factory=dict)


def resolve_template(templates: Mapping[tuple[str, str, str], TemplateSource], template_id: str | None,
                     channel: str, language: str) -> TemplateSource | None:
    tid = template_id or "reminder"
    for key in ((tid, channel, language), (tid, channel, "en"), ("reminder", channel, language),
                ("reminder", channel, "en")):
        if key in templates:
            return templates[key]
    return None


def choose_target(cp: ContactPoints, channel: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The contact point for this channel: a forced one from the payload (a reply), else the first usable."""
    if channel == "sms":
        forced = payload.get("to_phone_id")
        if forced is not None:
            return next((p for p in cp.phones if p["id"] == forced), None)
        return next((p for p in cp.phones if p["type"] == "mobile" and not p["opted_out"]
                     and not p["wrong_number"]), None)
    if channel == "email":
        forced = payload.get("to_email_id")
        if forced is not None:
            return next((e for e in cp.emails if e["id"] == forced), None)
        return next((e for e in cp.emails if not e["opted_out"] and not e["bounced"]), None)
    if channel == "letter":
        usable = [a for a in cp.addresses if not a["undeliverable"]]
        return next((a for a in usable if a["place"] == "home"), usable[0] if usable else None)
    return None


def postal_block(name: str, a: Mapping[str, Any]) -> str:
    city = f"{a['city']}, {a['state']} {a['postal_code']}" if a.get("state") else f"{a['city']} {a['postal_code']}"
    lines = [name, a["line1"], a.get("line2") or "", city, "" if a.get("country") == "US" else a.get("country", "")]
    return "\n".join(line for line in lines if line)


def _masked(external_id: str) -> str:
    return "****" + external_id[-4:] if len(external_id) > 4 else external_id


def _debt_view(d: DebtFacts) -> dict[str, Any]:
    return {"id": d.id, "reference": _masked(d.external_id), "creditor": d.creditor, "product": d.product,
            "balance": Money(d.balance_minor, d.currency), "original": Money(d.original_minor, d.currency),
            "currency": d.currency}


def template_data(cp: ContactPoints, debts: Sequence[DebtFacts], brand: Branding, *, today: date, locale: str,
                  unsubscribe_url: str = "", validation_end: date | None = None,
                  with_validation: bool = True) -> dict[str, Any]:
    views = [_debt_view(d) for d in debts]
    currency = debts[0].currency if debts else "USD"
    total = Money(sum(d.balance_minor for d in debts if d.currency == currency), currency)
    first = views[0] if views else {"id": None, "reference": "", "creditor": brand.name, "product": "",
                                    "balance": total, "original": total, "currency": currency}
    data: dict[str, Any] = {
        "customer": {"name": cp.name, "first_name": cp.name.split(" ")[0] if cp.name else ""},
        "debt": first, "debts": views, "total_balance": total,
        "collector": {"name": brand.name, "phone": brand.phone, "address": brand.address, "website": brand.website},
        "portal_url": brand.portal_url, "unsubscribe_url": unsubscribe_url, "today": today,
    }
    if debts and with_validation:  # the (c)(2) itemization is formatted only for validation notices
        data["validation"] = _validation_facts(cp, debts[0], brand, today, locale, validation_end)
    return data


def _validation_facts(cp: ContactPoints, d: DebtFacts, brand: Branding, today: date, locale: str,
                      end: date | None) -> dict[str, str]:
    def money(minor: int) -> str:
        return format_money(Money(minor, d.currency), locale)

    home = next((a for a in cp.addresses if a["place"] == "home"), cp.addresses[0] if cp.addresses else None)
    itemized_on = d.charge_off_date or d.opened_on
    # No validation-period end from the guard: a later date than the legal minimum is always allowed
    # (RULES.md R-12), and 45 calendar days is later than 5 business days + 30 for any holiday pattern.
    end = end or today + timedelta(days=45)
    return {
        "collector_name": brand.name, "collector_address": brand.address, "consumer_name": cp.name,
        "consumer_address": postal_block("", home).replace("\n", ", ") if home else "none on file",
        "account_number": _masked(d.external_id), "creditor_on_itemization": d.creditor,
        "current_creditor": d.creditor,
        "itemization_date": str(format_date(itemized_on, "long", locale=locale)) if itemized_on else "none",
        "amount_on_itemization": money(d.charges_minor or d.original_minor), "interest_since": money(d.interest_minor),
        "fees_since": money(d.fees_minor), "payments_since": money(d.credits_minor),
        "current_amount": money(d.balance_minor), "end_date": str(format_date(end, "long", locale=locale)),
    }

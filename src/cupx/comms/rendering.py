"""Rendering templates in a sandbox, with the required content put in by the platform.

- Templates are Jinja2 in a `SandboxedEnvironment` (staff edit them: no attribute tricks, no imports)
  with `StrictUndefined`, so a misspelt variable fails when the template is saved, not when it is sent.
- Money and dates use the customer's locale through Babel: `{{ debt.balance|money }}`,
  `{{ today|date }}` (`|date('short')` for another format).
- Required elements (`cupx.comms.required`) are variables the platform fills; `render` checks each one
  the jurisdiction needs made it into the output and refuses otherwise, and reports content flags for
  the guard from what was actually rendered, not from what the author declared.
- `check_template` renders with sample data and sentinel texts in each jurisdiction and disclosure
  variant the template may be used in; an element that could be left out is named in the error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import localedata
from babel.dates import format_date
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol
from jinja2 import StrictUndefined, Template, TemplateError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from cupx.comms.required import CITATIONS, PLACEHOLDER, Element, element_text, required_elements
from cupx.domain.errors import ValidationError
from cupx.domain.money import Money, minor_digits

__all__ = ["Rendered", "RequiredContentMissing", "TemplateSource", "check_template", "format_money", "locale_for",
           "render", "sample_data"]


class RequiredContentMissing(ValidationError):
    """A message would go out without an element the law requires; `field` names the element."""


@dataclass(frozen=True, slots=True)
class TemplateSource:
    template_id: str
    channel: str
    language: str
    body: str
    subject: str = ""
    version: int = 0
    purpose: str = "collection"
    jurisdictions: tuple[str, ...] = ("US",)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    elements: tuple[Element, ...]
    content: dict[str, Any] = field(default_factory=dict)  # RULES.md 6.3 content flags for the guard


def locale_for(language: str, jurisdiction: str = "US") -> str:
    """A Babel locale from a language and the debt's jurisdiction: ('es', 'US') -> 'es_US'."""
    lang = (language or "en").replace("-", "_").split("_")[0].lower()
    country = "GB" if (jurisdiction or "US").upper().startswith(("UK", "GB")) else "US"
    for candidate in (f"{lang}_{country}", lang):
        if localedata.exists(candidate):
            return candidate
    return f"en_{country}"


@lru_cache(maxsize=256)
def _money_layout(currency: str, locale: str) -> tuple[str, str, str, str, int] | None:
    """(prefix, suffix, group, decimal, digits) read once from Babel's own output for this locale and
    currency, so formatting an amount is string work instead of Babel's pattern engine (the dispatcher
    formats thousands per second). None when the layout is not plain groups of three: use Babel."""
    digits = minor_digits(currency)
    group, point = str(get_group_symbol(locale)), str(get_decimal_symbol(locale))
    if digits > 3:
        return None
    frac = "891"[:digits]
    probe = Decimal(f"1234567.{frac}") if digits else Decimal(1234567)
    text = str(format_currency(probe, currency, locale=locale))
    number = f"1{group}234{group}567" + (f"{point}{frac}" if digits else "")
    if text.count(number) != 1:
        return None
    prefix, suffix = text.split(number)
    return prefix, suffix, group, point, digits


def format_money(value: Money, locale: str) -> str:
    """`value` formatted for `locale` exactly as Babel's `format_currency` does (a unit test checks)."""
    layout = _money_layout(value.currency, locale) if value.minor >= 0 else None
    if layout is None:
        return str(format_currency(value.to_decimal(), value.currency, locale=locale))
    prefix, suffix, group, point, digits = layout
    whole, frac = divmod(value.minor, 10 ** digits)
    text = f"{whole:,}".replace(",", group)
    if digits:
        text += point + str(frac).zfill(digits)
    return prefix + text + suffix


@lru_cache(maxsize=4096)
def _format_date(value: date, fmt: str, locale: str) -> str:
    return str(format_date(value, format=fmt, locale=locale))


@pass_context
def _money(ctx: Context, value: Money | None) -> str:
    return "" if value is None else format_money(value, ctx.get("locale", "en_US"))


@pass_context
def _date(ctx: Context, value: date | None, fmt: str = "long") -> str:
    return "" if value is None else _format_date(value, fmt, ctx.get("locale", "en_US"))


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters["money"] = _money
    env.filters["date"] = _date
    return env


_ENV = _environment()
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@lru_cache(maxsize=256)
def locale_for_cached(language: str, jurisdiction: str) -> str:
    return locale_for(language, jurisdiction)


@lru_cache(maxsize=1024)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def render(template: TemplateSource, data: Mapping[str, Any], *, jurisdiction: str = "US",
           disclosure_kind: str = "initial", locale: str | None = None,
           element_override: Mapping[Element, str] | None = None) -> Rendered:
    """Render subject and body; raise RequiredContentMissing if a required element did not make it in."""
    needed = required_elements(jurisdiction, template.channel, template.purpose)
    facts = {"disclosure_kind": disclosure_kind, "channel": template.channel,
             "unsubscribe_url": data.get("unsubscribe_url", ""), "validation": data.get("validation")}
    texts: dict[Element, str] = {}
    for el in Element:
        if element_override is not None:
            texts[el] = element_override.get(el, "")
        else:
            texts[el] = element_text(el, template.language, facts) if el in needed else ""
    variables = dict(data)
    variables.update({PLACEHOLDER[el]: text for el, text in texts.items()})
    variables["locale"] = locale or locale_for_cached(template.language, jurisdiction)
    try:
        subject = _compile(template.subject).render(variables).strip() if template.subject else ""
        body = _BLANK_RUN.sub("\n\n", _compile(template.body).render(variables).strip()) + "\n"
    except TemplateError as exc:
        raise ValidationError(f"template {template.template_id} does not render: {exc}", field="body") from None
    for el in needed:
        if texts[el] not in body:
            raise RequiredContentMissing(
                f"template {template.template_id} ({template.channel}, {template.language}) leaves out the required "
                f"element {el} ({CITATIONS[el]}) for {jurisdiction}", field=str(el))
    return Rendered(subject, body, needed, _content_flags(template, needed, disclosure_kind))


def _content_flags(template: TemplateSource, present: tuple[Element, ...], disclosure_kind: str) -> dict[str, Any]:
    disclosure = "none"
    if Element.DEBT_COLLECTOR_DISCLOSURE in present:
        disclosure = "initial_full" if disclosure_kind == "initial" else "subsequent"
    content: dict[str, Any] = {flag: True for flag in template.flags}
    content.update({"disclosure": disclosure, "opt_out_instruction": Element.OPT_OUT_INSTRUCTION in present,
                    "purpose": template.purpose, "debt_mentioned": template.purpose != "opt_out_confirmation"})
    if template.purpose == "opt_out_confirmation":
        content["only_confirmation"] = True
    return content


def sample_data(currency: str = "USD", today: date | None = None) -> dict[str, Any]:
    """Data of the shape the dispatcher gives templates, with made-up values (saving and previews)."""
    today = today or date(2026, 1, 15)
    balance, original = Money(123_456, currency), Money(150_000, currency)
    debt = {"id": 1, "reference": "****6789", "creditor": "Example Bank", "product": "credit_card",
            "balance": balance, "original": original, "currency": currency}
    return {
        "customer": {"name": "Alex Sample", "first_name": "Alex"},
        "debt": debt, "debts": [debt], "total_balance": balance,
        "collector": {"name": "CU-PX Collections", "phone": "+1 555 010 0000",
                      "address": "1 Main St, Springfield, IL 62701", "website": "https://example.com"},
        "portal_url": "https://example.com/portal", "unsubscribe_url": "https://example.com/unsubscribe/x",
        "today": today,
        "validation": {f: "0" for f in ("interest_since", "fees_since", "payments_since")} | {
            "collector_name": "CU-PX Collections", "collector_address": "1 Main St, Springfield, IL 62701",
            "consumer_name": "Alex Sample", "consumer_address": "2 Oak Ave, Springfield, IL 62701",
            "account_number": "****6789", "creditor_on_itemization": "Example Bank",
            "current_creditor": "Example Bank", "itemization_date": "2025-12-01",
            "amount_on_itemization": "$1,500.00", "current_amount": "$1,234.56", "end_date": "2026-02-20"},
    }


def check_template(template: TemplateSource) -> None:
    """Refuse a template that does not render or could leave out a required element (named)."""
    sentinels = {el: f"\u27e6{el}\u27e7" for el in Element}
    for jurisdiction in template.jurisdictions or ("US",):
        for kind in ("initial", "subsequent"):
            render(template, sample_data("GBP" if jurisdiction.upper().startswith(("UK", "GB")) else "USD"),
                   jurisdiction=jurisdiction, disclosure_kind=kind, element_override=sentinels)
    if template.channel == "email" and not template.subject.strip():
        raise ValidationError("an email template needs a subject", field="subject")
    if template.channel == "sms" and len(template.body) > 1600:
        raise ValidationError("an SMS template is limited to 1600 characters", field="body")

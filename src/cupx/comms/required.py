"""Content the law requires, inserted by the platform (never typed by template authors).

Which elements a message needs depends on the debt's jurisdiction, the channel and the template's
purpose (`required_elements`). Each element is a template variable the author places once
(`{{ disclosure }}`, `{{ opt_out }}`, `{{ validation_notice }}`, `{{ uk_arrears }}`); its text comes
from `element_text` in the customer's language, so the wording stays the reviewed wording:

| element | when | source |
| --- | --- | --- |
| debt_collector_disclosure | US, every channel; (e)(1) or (e)(2) wording by history | R-11, 1006.18(e) |
| opt_out_instruction | US, every email and text | R-10, 12 CFR 1006.6(e) |
| validation_notice | US, purpose validation_notice | R-12, 12 CFR 1006.34(c) |
| uk_arrears_wording | UK letters and emails: arrears and free debt advice signposting | §5.1, CONC 7.3, 7.9 |

Exceptions: an opt-out confirmation carries nothing but the confirmation (R-08 exception 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = [
    "CITATIONS",
    "ELECTRONIC",
    "PLACEHOLDER",
    "Element",
    "element_text",
    "region_of",
    "required_elements",
]

ELECTRONIC = frozenset({"sms", "email"})
# Purposes whose message must contain nothing but itself (R-08 exception 1).
_CONFIRMATION_ONLY = frozenset({"opt_out_confirmation"})


class Element(StrEnum):
    DEBT_COLLECTOR_DISCLOSURE = "debt_collector_disclosure"  # Reg F 1006.18(e), R-11
    OPT_OUT_INSTRUCTION = "opt_out_instruction"  # Reg F 1006.6(e), R-10
    VALIDATION_NOTICE = "validation_notice"  # Reg F 1006.34(c), R-12
    UK_ARREARS_WORDING = "uk_arrears_wording"  # FCA CONC 7 arrears communications, RULES.md 5.1


PLACEHOLDER: dict[Element, str] = {
    Element.DEBT_COLLECTOR_DISCLOSURE: "disclosure",
    Element.OPT_OUT_INSTRUCTION: "opt_out",
    Element.VALIDATION_NOTICE: "validation_notice",
    Element.UK_ARREARS_WORDING: "uk_arrears",
}

CITATIONS: dict[Element, str] = {
    Element.DEBT_COLLECTOR_DISCLOSURE: "12 CFR 1006.18(e) (RULES.md R-11)",
    Element.OPT_OUT_INSTRUCTION: "12 CFR 1006.6(e) (RULES.md R-10)",
    Element.VALIDATION_NOTICE: "12 CFR 1006.34(c) (RULES.md R-12)",
    Element.UK_ARREARS_WORDING: "FCA CONC 7.3, 7.9 (RULES.md 5.1)",
}


def region_of(jurisdiction: str) -> str:
    """'US' for US and its states ('US', 'US-MA'), 'UK' for the United Kingdom ('UK', 'GB', 'GB-SCT')."""
    j = (jurisdiction or "US").upper()
    if j.startswith(("UK", "GB")):
        return "UK"
    return "US" if j.startswith("US") else j


def required_elements(jurisdiction: str, channel: str, purpose: str = "collection") -> tuple[Element, ...]:
    """The elements a message of this jurisdiction, channel and purpose must carry, in display order."""
    if purpose in _CONFIRMATION_ONLY:
        return ()
    region = region_of(jurisdiction)
    out: list[Element] = []
    if region == "US":
        out.append(Element.DEBT_COLLECTOR_DISCLOSURE)
        if purpose == "validation_notice" and channel in {"letter", "email"}:
            out.append(Element.VALIDATION_NOTICE)
        if channel in ELECTRONIC:
            out.append(Element.OPT_OUT_INSTRUCTION)
    elif region == "UK" and channel in {"letter", "email"}:
        out.append(Element.UK_ARREARS_WORDING)
    return tuple(out)


_DISCLOSURE = {
    ("initial", "en"): "This communication is from a debt collector. This is an attempt to collect a debt and "
                       "any information obtained will be used for that purpose.",
    ("initial", "es"): "Esta comunicación proviene de un cobrador de deudas. Esto es un intento de cobrar una deuda "
                       "y cualquier información obtenida será utilizada para ese propósito.",
    ("subsequent", "en"): "This communication is from a debt collector.",
    ("subsequent", "es"): "Esta comunicación proviene de un cobrador de deudas.",
}
_OPT_OUT = {
    ("sms", "en"): "Reply STOP to stop texts to this number.",
    ("sms", "es"): "Responda ALTO o STOP para dejar de recibir textos en este número.",
    ("email", "en"): "To stop emails to this address, unsubscribe here: {url}",
    ("email", "es"): "Para dejar de recibir correos en esta dirección, cancele aquí: {url}",
}
_UK_ARREARS = {
    "en": "You are in arrears on this account. If you are struggling, please contact us: we will treat you fairly and "
          "can discuss options such as a repayment plan you can afford. Free, impartial debt advice is available "
          "from MoneyHelper (www.moneyhelper.org.uk, 0800 138 7777) and StepChange (www.stepchange.org). "
          "We enclose or link the FCA arrears information sheet.",
}


def _lang(language: str, table_langs: set[str]) -> str:
    base = (language or "en").split("_")[0].split("-")[0].lower()
    return base if base in table_langs else "en"


def element_text(element: Element, language: str, facts: Mapping[str, Any]) -> str:
    """The element's wording in `language` (falls back to English), filled from `facts`.

    facts: `disclosure_kind` ('initial'|'subsequent'), `channel`, `unsubscribe_url`, and for the
    validation notice `validation` (see `cupx.comms.validation.validation_notice_text`).
    """
    if element is Element.DEBT_COLLECTOR_DISCLOSURE:
        kind = "initial" if facts.get("disclosure_kind", "initial") == "initial" else "subsequent"
        return _DISCLOSURE[(kind, _lang(language, {"en", "es"}))]
    if element is Element.OPT_OUT_INSTRUCTION:
        channel = "email" if facts.get("channel") == "email" else "sms"
        text = _OPT_OUT[(channel, _lang(language, {"en", "es"}))]
        return text.format(url=facts.get("unsubscribe_url", ""))
    if element is Element.UK_ARREARS_WORDING:
        return _UK_ARREARS[_lang(language, {"en"})]
    from cupx.comms.validation import validation_notice_text

    return validation_notice_text(facts.get("validation") or {}, _lang(language, {"en", "es"}))

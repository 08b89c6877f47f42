"""The validation notice content of 12 CFR 1006.34(c) (RULES.md R-12), after Model Form B-1.

`validation_notice_text(facts, language)` lays out every item of (c)(1)-(c)(4); `facts` holds
display-ready strings (money and dates already formatted for the customer's locale by the renderer).
Every itemization field must be filled: "0" or "none" is allowed, blank is not, so a missing fact
raises ValidationError naming it rather than printing an incomplete notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cupx.domain.errors import ValidationError

__all__ = ["VALIDATION_FIELDS", "validation_notice_text"]

VALIDATION_FIELDS = (
    "collector_name", "collector_address", "consumer_name", "consumer_address", "account_number",
    "creditor_on_itemization", "current_creditor", "itemization_date", "amount_on_itemization",
    "interest_since", "fees_since", "payments_since", "current_amount", "end_date",
)

_EN = """\
{collector_name} is a debt collector. We are trying to collect a debt that you owe to {current_creditor}. \
We will use any information you give us to help collect the debt.

Our information shows:
  You had an account with {creditor_on_itemization} with account number {account_number}.
  As of {itemization_date}, you owed: {amount_on_itemization}
  Between {itemization_date} and today:
    You were charged this amount in interest: + {interest_since}
    You were charged this amount in fees: + {fees_since}
    You paid or were credited this amount toward the debt: - {payments_since}
  Total amount of the debt now: {current_amount}

Notice to: {consumer_name}, {consumer_address}

How can you dispute the debt?
  Call or write to us by {end_date} to dispute all or part of the debt. If you do not, we will assume that \
our information is correct. If you write to us by {end_date}, we must stop collection on any amount you \
dispute until we send you information that shows you owe the debt.
  You may also dispute the debt or ask for the original creditor electronically by replying to this message \
or through our portal.
What else can you do?
  Write to ask for the name and address of the original creditor, if different from the current creditor. \
If you write by {end_date}, we must stop collection until we send you that information.
  Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.
  Mail disputes and requests to: {collector_name}, {collector_address}

How do you want to respond?
Check all that apply:
  [ ] I want to dispute the debt because I think: [ ] This is not my debt. [ ] The amount is wrong. [ ] Other.
  [ ] I want you to send me the name and address of the original creditor.
  [ ] I enclosed this amount: ________
"""

_ES = """\
{collector_name} es un cobrador de deudas. Estamos tratando de cobrar una deuda que usted le debe a \
{current_creditor}. Usaremos cualquier información que usted nos dé para ayudar a cobrar la deuda.

Nuestra información indica:
  Usted tenía una cuenta con {creditor_on_itemization} con el número de cuenta {account_number}.
  Al {itemization_date}, usted debía: {amount_on_itemization}
  Entre el {itemization_date} y hoy:
    Se le cobró esta cantidad en intereses: + {interest_since}
    Se le cobró esta cantidad en cargos: + {fees_since}
    Usted pagó o se le acreditó esta cantidad a la deuda: - {payments_since}
  Cantidad total de la deuda ahora: {current_amount}

Aviso para: {consumer_name}, {consumer_address}

¿Cómo puede disputar la deuda?
  Llame o escríbanos antes del {end_date} para disputar toda o parte de la deuda. Si no lo hace, asumiremos \
que nuestra información es correcta. Si nos escribe antes del {end_date}, debemos dejar de cobrar cualquier \
cantidad que usted dispute hasta que le enviemos información que demuestre que usted debe la deuda.
  También puede disputar la deuda o pedir el acreedor original electrónicamente respondiendo a este mensaje \
o en nuestro portal.
¿Qué más puede hacer?
  Escriba para pedir el nombre y la dirección del acreedor original, si es diferente del acreedor actual. \
Si escribe antes del {end_date}, debemos dejar de cobrar hasta que le enviemos esa información.
  Visite www.cfpb.gov/debt-collection para conocer sus derechos bajo la ley federal.
  Envíe disputas y solicitudes a: {collector_name}, {collector_address}

¿Cómo desea responder?
Marque todas las que correspondan:
  [ ] Quiero disputar la deuda porque creo que: [ ] Esta deuda no es mía. [ ] La cantidad es incorrecta. [ ] Otro.
  [ ] Quiero que me envíen el nombre y la dirección del acreedor original.
  [ ] Adjunto esta cantidad: ________
"""


def validation_notice_text(facts: Mapping[str, Any], language: str = "en") -> str:
    missing = [f for f in VALIDATION_FIELDS if facts.get(f) in (None, "")]
    if missing:
        raise ValidationError(f"validation notice needs {', '.join(missing)} (blank is not allowed; use 0 or none)",
                              field=f"validation.{missing[0]}")
    layout = _ES if language == "es" else _EN
    return layout.format(**{f: facts[f] for f in VALIDATION_FIELDS})

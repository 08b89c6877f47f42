"""The feature catalogue: every name a strategy condition may test, with its kind.

A strategy is data written by a strategist; it may only name features listed here, so a typo is a
validation error with a line number rather than a silent "never matches". The cycle computes every
feature columnar (`cupx.cycle.features`); a test pins that the feature frame has exactly these columns.

Kinds: `number` (integers or floats: days, minor units, counts, scores), `text`, `flag` (boolean).
Money features are minor units in the debt's currency. Day counts are whole days as of the run date;
"days since" features are null when the event never happened (a condition on null is false).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CHANNELS", "CHANNEL_REQUIRES", "CONTACT_CHANNELS", "FEATURES", "HOLDS", "LEGAL_HOLDS", "WINDOWS",
           "FeatureKind", "Hold"]


class FeatureKind(StrEnum):
    NUMBER = "number"  # int or float; compared with gt/gte/lt/lte/between/eq
    TEXT = "text"  # compared with eq/ne/in/not_in
    FLAG = "flag"  # true/false


CONTACT_CHANNELS = ("sms", "email", "letter", "call")  # channels counted in attempt windows
WINDOWS = (1, 7, 30)  # attempt and right-party-contact windows, days ending with the run date
CHANNELS = ("sms", "email", "letter", "call_task", "review", "agency")  # what a step may use (contract C5)
# A step on these channels is only usable when the customer has a usable contact point of that kind.
CHANNEL_REQUIRES = {"sms": "has_mobile", "email": "has_email", "letter": "has_address"}

_N, _T, _F = FeatureKind.NUMBER, FeatureKind.TEXT, FeatureKind.FLAG

FEATURES: dict[str, FeatureKind] = {
    "dpd": _N,  # days past due of the oldest unpaid instalment; 0 when nothing is overdue
    "due_offset": _N,  # run date - oldest unpaid due date; negative before the due date (pre-due reminders)
    "balance": _N,  # amount owed, minor units
    "original": _N,  # original amount, minor units
    "days_since_payment": _N,  # null when never paid
    "paid_30d": _N,  # payments net of reversals effective in the last 30 days, minor units
    "paid_90d": _N,
    "broken_promises": _N,  # promises broken in this customer's history (all debts)
    "days_since_broken_promise": _N,
    "risk_score": _N,  # probability of paying or curing in 30 days (model or rule score), 0..1
    "customer_value": _N,  # sum of original amounts of all the customer's debts, minor units
    "tenure_days": _N,  # days since customer_since; null when unknown
    "debts_of_customer": _N,  # open debts of the same customer
    "days_since_contact": _N,  # last outbound attempt on any channel
    "days_since_response": _N,  # last right-party contact or customer-initiated event
    "product": _T,  # cupx.domain.debt.ProductKind
    "risk_band": _T,  # A (most likely to pay) .. E
    "language": _T,  # preferred language (BCP 47)
    "behaviour": _T,  # behavioural segment, see docs/strategies.md (new, self_cure, engaged, silent, chronic)
    "jurisdiction": _T,
    "currency": _T,
    "last_response": _T,  # type of the last response event; null when none
    "vulnerable": _F,  # customer flag `vulnerable`
    "has_mobile": _F,  # a mobile number not opted out and not known wrong
    "has_email": _F,  # an email address not opted out and not bounced
    "has_address": _F,  # a deliverable postal address
    "promise_pending": _F,
    "arrangement_active": _F,  # a payment plan or settlement in good standing
    "dispute": _F,
    "hardship": _F,  # hardship hold or an active breathing space
    "deceased": _F,
    "bankruptcy": _F,
}
for _ch in CONTACT_CHANNELS:
    for _w in WINDOWS:
        FEATURES[f"attempts_{_ch}_{_w}d"] = _N  # outbound attempts on the channel in the window
for _w in WINDOWS:
    FEATURES[f"rpc_{_w}d"] = _N  # right-party contacts in the window


class Hold(StrEnum):
    """A state that stops collection contact on a debt (or every debt of the customer)."""

    PROMISE_PENDING = "promise_pending"  # a promise to pay is pending
    ARRANGEMENT_ACTIVE = "arrangement_active"  # a plan or settlement is in good standing
    DISPUTE = "dispute"  # the debt is disputed
    HARDSHIP = "hardship"  # hardship hold or breathing space
    DECEASED = "deceased"  # the customer died: the estate is dealt with elsewhere
    BANKRUPTCY = "bankruptcy"  # automatic stay


HOLDS: tuple[Hold, ...] = tuple(Hold)
# A strategy may not switch these off: contact during them is unlawful or plainly wrong.
LEGAL_HOLDS: frozenset[Hold] = frozenset({Hold.DISPUTE, Hold.HARDSHIP, Hold.DECEASED, Hold.BANKRUPTCY})

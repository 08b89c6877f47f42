"""Reason codes in plain words, from the model's own feature contributions (LightGBM `pred_contrib`).

For each account the features whose contributions pushed the probability of paying down the most
become its reasons, most negative first, each as one sentence from `SENTENCES`. Features that pushed
the score up are not reasons (a reason explains why an account is risky). Every model feature has a
sentence; `sentence_for` falls back to a generic one so a new feature never breaks scoring.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["SENTENCES", "reason_lists", "sentence_for"]

_MONTH = {1: "last month", 2: "two months ago", 3: "three months ago", 4: "four months ago",
          5: "five months ago", 6: "six months ago"}

SENTENCES: dict[str, str] = {
    **{f"bill_{k}": f"The amount billed {m} weighs on repayment" for k, m in _MONTH.items()},
    **{f"paid_{k}": f"The amount paid {m} was low" for k, m in _MONTH.items()},
    **{f"late_{k}": f"The account was behind on the statement of {m}" for k, m in _MONTH.items()},
    **{f"pay_ratio_{k}": f"The payment {m} covered little of the bill" for k, m in _MONTH.items()},
    "credit_limit": "The credit limit is low",
    "utilisation_1": "The balance is high against the credit limit",
    "pay_ratio_mean": "Payments over six months covered little of the bills",
    "bill_trend": "The billed balance has been growing",
    "paid_trend": "Payments have been falling",
    "late_trend": "The account has fallen further behind recently",
    "max_late_6": "The account was far behind in the last six months",
    "max_late_12": "The account was far behind in the last year",
    "mean_late_6": "The account has often been behind in the last six months",
    "months_late_count_12": "Many months in the last year were late",
    "months_paid_full_12": "Few bills in the last year were paid in full",
    "months_no_use_12": "The account has had little activity",
    "months_since_late": "The account was late recently",
    "statement_months": "The statement history is short",
    "paid_sum_6": "Little was paid in the last six months",
    "bill_mean_6": "The typical bill is large",
    "bill_std_6": "The bills vary a lot from month to month",
    "underpaid_months_6": "Several recent bills were not paid in full",
    "balance": "The outstanding balance is large",
    "paid_total": "Little has been paid on this debt so far",
    "paid_30": "No payment in the last 30 days",
    "paid_90": "Little was paid in the last 90 days",
    "paid_180": "Little was paid in the last 180 days",
    "payments_count_90": "Few payments in the last 90 days",
    "days_since_payment": "It is a long time since the last payment",
    "returned_payments": "A payment was returned",
    "paid_to_charged": "Payments cover little of what was charged",
    "contacts_out_30": "Several recent contacts got no payment",
    "contacts_out_90": "Contacts in the last 90 days got no payment",
    "rpc_90": "Few conversations with the customer recently",
    "inbound_90": "The customer has not been in touch",
    "response_rate_90": "The customer rarely responds to contact",
    "days_since_contact": "No recent contact with the customer",
    "days_since_rpc": "No recent conversation with the customer",
    "disputes": "The customer disputes the debt",
    "opted_out": "The customer opted out of electronic messages",
    "cease_requested": "The customer asked us to stop contacting them",
    "hardship_declared": "The customer told us of financial difficulty",
    "complaints": "The customer has complained",
    "promises_total": "Promises to pay have been made before",
    "promises_kept": "Few promises to pay were kept",
    "promises_broken": "Promises to pay were broken",
    "promise_kept_ratio": "Most promises to pay were not kept",
    "open_promise_amount": "No open promise to pay",
    "days_since_promise": "No recent promise to pay",
    "promises_broken_90": "A promise to pay was broken in the last 90 days",
    "days_open": "The account is young",
    "days_since_charge_off": "The debt was charged off long ago",
    "original_amount": "The original amount is large",
}


def sentence_for(feature: str) -> str:
    return SENTENCES.get(feature, f"The account's {feature.replace('_', ' ')} lowers the chance of payment")


def reason_lists(contrib: npt.NDArray[np.float64], feature_names: tuple[str, ...],
                 *, max_reasons: int = 3) -> pl.Series:
    """Per row, up to `max_reasons` sentences for the most negative contributions (bias column dropped)."""
    n, width = contrib.shape[0], len(feature_names)
    k = min(max_reasons, width)
    if n == 0 or k == 0:
        return pl.Series("reasons", [[] for _ in range(n)], dtype=pl.List(pl.String()))
    values = contrib[:, :width]
    idx = np.argpartition(values, k - 1, axis=1)[:, :k] if k < width else np.tile(np.arange(width), (n, 1))
    picked = np.take_along_axis(values, idx, axis=1)
    order = np.argsort(picked, axis=1, kind="stable")
    idx, picked = np.take_along_axis(idx, order, axis=1), np.take_along_axis(picked, order, axis=1)
    sentences = pl.Series([sentence_for(f) for f in feature_names], dtype=pl.String())
    flat = sentences.gather(pl.Series(idx.ravel().astype(np.int64)))
    flat = pl.select(pl.when(pl.lit(pl.Series(picked.ravel())) < 0).then(pl.lit(flat))).to_series()
    nested = flat.reshape((n, k)).arr.to_list().list.drop_nulls()
    return nested.alias("reasons")

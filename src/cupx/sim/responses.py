"""Turn simulated customers' decisions into calls on the real services, one day at a time.

Payments go through `cupx.services.payments.post_payment`, promises through `make_promise`, plans
through `create_plan`, SMS opt-outs through the comms inbound service; each command is its own
transaction in one unit of work, and a command the services refuse (a policy, a closed debt) is
counted, not forced. Amounts never exceed what the customer owes today.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from cupx.bootstrap import Runtime
from cupx.domain.errors import CupxError

__all__ = ["Action", "DayResult", "apply_actions", "part_amounts"]


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # pay, promise, plan, opt_out, dispute, complain
    customer_id: int
    amount_minor: int
    currency: str
    at: datetime
    key: str  # idempotency key: a rerun of the same day posts nothing twice
    channel: str = "sms"
    promised_on: date | None = None


@dataclass
class DayResult:
    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    resolved: list[tuple[int, str, str]] = field(default_factory=list)  # customer_id, outcome, channel
    seconds: Counter[str] = field(default_factory=Counter)  # wall time per stage

    def merge(self, other: DayResult) -> None:
        self.seconds.update(other.seconds)
        self.done.update(other.done)
        self.refused.update(other.refused)
        self.resolved.extend(other.resolved)


def _pay(uow: Any, a: Action) -> None:
    from cupx.services.payments import PostPayment, post_payment

    post_payment(uow, PostPayment(amount_minor=a.amount_minor, currency=a.currency, received_at=a.at,
                                  idempotency_key=a.key, customer_id=a.customer_id, source="sim",
                                  reference=a.key, now=a.at, method="card"))


def _promise(uow: Any, a: Action) -> None:
    from cupx.services.promises import MakePromise, make_promise

    assert a.promised_on is not None
    make_promise(uow, MakePromise(customer_id=a.customer_id, amount_minor=a.amount_minor, currency=a.currency,
                                  promised_on=a.promised_on, channel=_channel(a.channel), taken_by="sim", now=a.at))


def _plan(uow: Any, a: Action) -> None:
    from cupx.services.plans import CreatePlan, create_plan

    count = int(min(12, max(2, a.amount_minor // 15_000)))
    create_plan(uow, CreatePlan(customer_id=a.customer_id, total_minor=None, currency=a.currency,
                                frequency="monthly" if count > 4 else "fortnightly", instalment_count=count,
                                first_due_on=(a.at + timedelta(days=7)).date(), actor="sim", now=a.at))


def _channel(channel: str) -> str:
    return {"call": "call", "sms": "sms", "email": "email", "letter": "portal"}.get(channel, "portal")


HANDLERS = {"pay": _pay, "promise": _promise, "plan": _plan}


def apply_actions(rt: Runtime, actions: list[Action], extra: dict[str, Any] | None = None) -> DayResult:
    """Run each action through its service; refusals are counted by kind and error code."""
    handlers = dict(HANDLERS, **(extra or {}))
    result = DayResult()
    with rt.uow() as uow:
        for a in actions:
            try:
                handlers[a.kind](uow, a)
                result.done[a.kind] += 1
            except CupxError as exc:
                uow.rollback()
                result.refused[f"{a.kind}:{exc.code}"] += 1
    return result


def part_amounts(balance: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Part payments in whole currency units, at least 1 unit, never above the balance."""
    amt = (balance * share // 100 * 100).astype(np.int64)
    return np.clip(amt, np.minimum(balance, 100), balance)

"""How simulated customers answer a contact: pure, vectorised, seeded.

`respond(p, idx, channel, day, seed)` draws one outcome per contacted customer (index `idx` into the
personas `p`) for a contact by `channel` on simulation `day`:

- nothing happens unless the contact is noticed (channel responsiveness; a call must be answered);
- a noticed contact may bring an opt-out (texts and emails), a complaint or a dispute (propensities);
- otherwise ability (lowered by a job loss) and willingness decide: pay in full, pay in part, promise
  to pay (kept later with probability `keep_probability`), ask for a plan, or ignore.

Different strategies therefore produce different results: a strategy that texts the sms-responsive
early collects sooner than one that writes letters, and one that calls more reaches more people at
a higher cost. `spontaneous(p, day, seed)` gives the few who pay with no contact at all.

Invariants: the same arguments give the same outcomes; outcome probabilities sum to 1 per customer.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from cupx.sim.personas import Personas

__all__ = ["Outcome", "keep_probability", "part_share", "pays_on_due", "respond", "satisfaction", "spontaneous"]


class Outcome(StrEnum):
    IGNORE = "ignore"  # not noticed, or noticed and left
    PAY_FULL = "pay_full"  # pays the whole balance today
    PAY_PART = "pay_part"  # pays part of the balance today
    PROMISE = "promise"  # promises to pay by a date
    PLAN = "plan"  # asks for a payment plan
    DISPUTE = "dispute"  # disputes the debt
    OPT_OUT = "opt_out"  # replies STOP / unsubscribes from the channel
    COMPLAIN = "complain"  # complains about the contact


ORDER = (Outcome.OPT_OUT, Outcome.COMPLAIN, Outcome.DISPUTE, Outcome.PAY_FULL, Outcome.PAY_PART,
         Outcome.PROMISE, Outcome.PLAN, Outcome.IGNORE)
_CHANNEL_KEY = {"sms": "sms", "email": "email", "letter": "letter", "call": "call", "call_task": "call"}
# How much a noticed contact moves a customer to act, by channel (a conversation persuades most).
_PERSUASION = {"sms": 0.55, "email": 0.45, "letter": 0.5, "call": 0.9}


def _rng(seed: int, day: int, salt: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, day, salt]))


def probabilities(p: Personas, idx: npt.NDArray[np.int64], channel: str, day: int) -> npt.NDArray[np.float64]:
    """Matrix (len(idx), len(ORDER)) of outcome probabilities; rows sum to 1."""
    key = _CHANNEL_KEY[channel]
    notice = p.responsiveness[key][idx]
    ability, will = p.ability_on(day)[idx], p.willingness[idx]
    electronic = channel in ("sms", "email")
    opt = notice * p.opt_out[idx] * (1.0 if electronic else 0.0)
    complain = notice * p.complain[idx]
    dispute = notice * p.dispute[idx] * 0.5
    act = notice * _PERSUASION[key] * will
    full = act * ability ** 2 * 0.5
    part = act * ability * (1 - ability) * 0.8
    promise = act * 0.25
    plan = act * (1 - ability) * 0.35
    m = np.column_stack([opt, complain, dispute, full, part, promise, plan])
    m = np.minimum(m, 1.0)
    total = m.sum(axis=1, keepdims=True)
    m = np.where(total > 0.95, m * (0.95 / np.maximum(total, 1e-12)), m)
    return np.column_stack([m, 1.0 - m.sum(axis=1)])


def respond(p: Personas, idx: npt.NDArray[np.int64], channel: str, day: int, seed: int) -> npt.NDArray[np.str_]:
    """One outcome (an `Outcome` value) per contacted customer."""
    if idx.size == 0:
        return np.array([], dtype="<U10")
    probs = probabilities(p, idx, channel, day)
    u = _rng(seed, day, hash_channel(channel)).random(idx.size)
    pick = (u[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    pick = np.minimum(pick, len(ORDER) - 1)
    return np.array([o.value for o in ORDER])[pick]


def hash_channel(channel: str) -> int:
    return sum(ord(c) * 31 ** i for i, c in enumerate(channel)) % 1_000_003


def part_share(p: Personas, idx: npt.NDArray[np.int64], day: int, seed: int) -> npt.NDArray[np.float64]:
    """Share of the balance a part payment covers: 10% .. 60%, more for the able."""
    u = _rng(seed, day, 17).random(idx.size)
    return 0.1 + 0.5 * u * p.ability_on(day)[idx]


def keep_probability(p: Personas, idx: npt.NDArray[np.int64], day: int) -> npt.NDArray[np.float64]:
    """Chance a promise falling due on `day` is kept."""
    return np.clip(0.15 + 0.55 * p.ability_on(day)[idx] + 0.3 * p.willingness[idx], 0, 0.97)


def spontaneous(p: Personas, day: int, seed: int) -> npt.NDArray[np.int64]:
    """Indices of customers who pay in full today without being contacted."""
    prob = 0.0015 * p.ability_on(day) * p.willingness
    return np.flatnonzero(_rng(seed, day, 23).random(len(p)) < prob).astype(np.int64)


def pays_on_due(p: Personas, idx: npt.NDArray[np.int64], day: int, seed: int) -> npt.NDArray[np.bool_]:
    """Whether each customer whose instalment falls due today pays it in full on time (no contact)."""
    prob = 0.1 + 0.8 * p.ability_on(day)[idx] * p.willingness[idx]
    return _rng(seed, day, 31).random(idx.size) < prob


def satisfaction(p: Personas, idx: npt.NDArray[np.int64], outcome: str, day: int, seed: int) -> npt.NDArray[np.int64]:
    """A CSAT answer (1..5) after a resolution: plans and payments please, disputes less so."""
    base = {"pay_full": 4.0, "pay_part": 3.6, "plan": 4.2, "promise": 3.5, "dispute": 2.4}.get(outcome, 3.0)
    noise = _rng(seed, day, 29).normal(0.0, 0.8, idx.size)
    score = base + 0.6 * (p.willingness[idx] - 0.5) + noise
    return np.clip(np.rint(score), 1, 5).astype(np.int64)

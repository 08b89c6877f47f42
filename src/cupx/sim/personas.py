"""Latent traits of synthetic customers: what the simulator knows about them and CU-PX never sees.

`personas(seed, n)` draws, for customer index 0..n-1, an ability and a willingness to pay, a
responsiveness per channel, a preferred contact hour, propensities to dispute, complain and opt out,
and life events (a job loss on some day of the simulation, a recovery some weeks later).

Invariants: pure and deterministic — the same (seed, n) gives the same arrays; values are
probabilities in [0, 1] except hours (8..20) and days (-1 means no such event).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CHANNELS", "Personas", "personas"]

CHANNELS = ("sms", "email", "letter", "call")

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741 - a type alias, not a variable


@dataclass(frozen=True, slots=True)
class Personas:
    ability: F  # capacity to pay: 0 cannot, 1 can pay the balance today
    willingness: F  # inclination to pay what they can
    responsiveness: dict[str, F]  # per channel: chance a contact is noticed
    preferred_hour: I  # local hour they are most reachable
    dispute: F  # propensity to dispute when contacted
    complain: F  # propensity to complain about a contact
    opt_out: F  # propensity to reply STOP / unsubscribe
    job_loss_day: I  # simulation day a job loss hits, -1 for none
    recovery_day: I  # simulation day they recover, -1 for none

    def __len__(self) -> int:
        return int(self.ability.shape[0])

    def ability_on(self, day: int) -> F:
        """Ability on a simulation day: a job loss divides it by four until the recovery day."""
        lost = (self.job_loss_day >= 0) & (day >= self.job_loss_day)
        hit = lost & ((self.recovery_day < 0) | (day < self.recovery_day))
        return np.where(hit, self.ability * 0.25, self.ability)


def personas(seed: int, n: int) -> Personas:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    ability = rng.beta(2.0, 2.5, n)
    willingness = rng.beta(3.0, 2.0, n)
    resp = {
        "sms": rng.beta(2.5, 3.0, n),
        "email": rng.beta(1.6, 4.0, n),
        "letter": rng.beta(1.2, 5.0, n),
        "call": rng.beta(2.0, 3.5, n),
    }
    hour = np.clip(np.rint(rng.normal(14.0, 3.5, n)), 8, 20).astype(np.int64)
    dispute = rng.beta(1.0, 40.0, n)
    complain = rng.beta(1.0, 80.0, n)
    opt_out = rng.beta(1.0, 30.0, n)
    loses_job = rng.random(n) < 0.06
    job_loss_day = np.where(loses_job, rng.integers(0, 60, n), -1).astype(np.int64)
    recovers = loses_job & (rng.random(n) < 0.6)
    recovery_day = np.where(recovers, job_loss_day + rng.integers(14, 45, n), -1).astype(np.int64)
    return Personas(ability, willingness, resp, hour, dispute, complain, opt_out, job_loss_day, recovery_day)

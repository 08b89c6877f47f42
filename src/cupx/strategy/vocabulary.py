"""Decision kinds and reason codes the strategy engine writes on every decision.

They are stored with each `cycle_decisions` row and are part of the public record: never rename one.
"""

from __future__ import annotations

from enum import StrEnum

from cupx.strategy.catalogue import Hold

__all__ = ["HOLD_REASONS", "DecisionKind", "Reason", "SkipReason", "StepStatus"]


class DecisionKind(StrEnum):
    CONTACT = "contact"  # the customer's one action today (the harshest step among their debts)
    GROUPED = "grouped"  # this debt's step rides in the customer's contact of the day
    BLOCKED = "blocked"  # the compliance guard refused the customer's contact
    HOLD = "hold"  # a hold stops collection contact on this debt
    CONTROL = "control"  # the customer is in an experiment's control (hold-out) arm
    NO_ACTION = "no_action"  # nothing is due today


class Reason(StrEnum):
    NO_STRATEGY = "NO_STRATEGY"  # no live strategy applies to the debt
    NOT_DELINQUENT = "NOT_DELINQUENT"  # nothing unpaid (balance <= 0 or schedule covered)
    NO_SEGMENT = "NO_SEGMENT"  # no segment of the strategy matched
    CONTROL_ARM = "CONTROL_ARM"
    STEP_ADVANCE = "STEP_ADVANCE"  # the softest due step not yet tried
    STEP_REPEAT = "STEP_REPEAT"  # the last tried step again (attempts left, cooldown over)
    RETENTION = "RETENTION"  # the debt follows a retention rule's ladder
    NO_STEP_DUE = "NO_STEP_DUE"
    COOLDOWN = "COOLDOWN"  # the step to repeat is still in its cooldown
    MAX_ATTEMPTS = "MAX_ATTEMPTS"  # the step to repeat used all its attempts; the next is not due yet
    MIN_GAP = "MIN_GAP"  # the strategy's minimum days between contacts on a debt has not passed
    GROUPED = "GROUPED"  # included in the customer's harsher contact of the day
    HOLD_PROMISE_PENDING = "HOLD_PROMISE_PENDING"
    HOLD_ARRANGEMENT_ACTIVE = "HOLD_ARRANGEMENT_ACTIVE"
    HOLD_DISPUTE = "HOLD_DISPUTE"
    HOLD_HARDSHIP = "HOLD_HARDSHIP"
    HOLD_DECEASED = "HOLD_DECEASED"
    HOLD_BANKRUPTCY = "HOLD_BANKRUPTCY"


HOLD_REASONS: dict[Hold, Reason] = {h: Reason(f"HOLD_{h.value.upper()}") for h in Hold}


class SkipReason(StrEnum):
    EXPIRED = "expired"  # the step's window (until_dpd) passed before it could be used
    CONDITION_FALSE = "condition_false"  # the step's conditions did not hold when it was due


class StepStatus(StrEnum):
    """Why a step was or was not chosen (explain)."""

    CHOSEN = "chosen"
    NOT_DUE = "not_due"  # its trigger is not reached
    EXPIRED = "expired"  # skipped now: window passed
    CONDITION_FALSE = "condition_false"  # skipped now: conditions false
    SKIPPED_BEFORE = "skipped_before"  # skipped on an earlier night, with a recorded reason
    TRIED = "tried"  # attempted already in this delinquency episode
    WAITING = "waiting"  # due, but a softer step comes first (soft-first)
    NOT_EVALUATED = "not_evaluated"  # the debt did not reach its ladder (hold, control, not delinquent)

"""Overrides of Reg F presumption blocks (RULES.md §1.5, convention C-7; comments 14(b)(2)(ii)-2.i-iv).

Invariant: only a decision whose every blocking code is a presumption (`override_permitted`) can be
overridden, only by a compliance or supervisor user, and only with one of the four rebuttal reasons;
the result is an `allowed` decision that carries the override for the audit record.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from cupx.compliance.decision import Decision
from cupx.domain.errors import PermissionDenied, PolicyViolation, ValidationError

__all__ = ["OVERRIDE_ROLES", "RebuttalReason", "apply_override"]

OVERRIDE_ROLES = frozenset({"compliance", "supervisor"})


class RebuttalReason(StrEnum):
    REQUIRED_BY_LAW = "required_by_law"  # the call was required by law
    ACTIVE_LITIGATION = "active_litigation"  # directly related to active litigation
    CONSUMER_REQUEST = "consumer_request"  # answered the consumer's request for information
    TIME_OF_ESSENCE = "time_of_essence"  # avoid a harm outside the collector's control


def apply_override(decision: Decision, role: str, reason: str, username: str) -> Decision:
    """The overridden decision, or an error naming why the override is refused."""
    if role not in OVERRIDE_ROLES:
        raise PermissionDenied(f"role {role!r} may not override guard decisions", field="role")
    try:
        rebuttal = RebuttalReason(reason)
    except ValueError:
        raise ValidationError(f"rebuttal reason must be one of {[r.value for r in RebuttalReason]}",
                              field="reason") from None
    if not decision.override_permitted:
        raise PolicyViolation("only Reg F presumption blocks can be overridden", field="decision")
    computed = dict(decision.computed)
    computed["override"] = {"user": username, "role": role, "reason": rebuttal.value,
                            "overridden_codes": list(decision.reason_codes)}
    return replace(decision, decision="allowed", computed=computed, override_permitted=False)

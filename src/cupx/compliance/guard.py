"""The single-account guard: `evaluate(context, events, action) -> Decision` (contract C2, RULES.md §1).

Steps: validate the inputs into typed models (bad input -> ValidationError naming the field), build the
State (knowledge cut-off C-8, candidate zones C-3, states §4, rule families C-19), run every rule
family (each adds every code that applies; none stops early), then assemble the Decision.
`decision` is `blocked` if any code applies, `partially_allowed` for a partial refusal (GDPR erasure),
`n/a` for computation-only actions; `override_permitted` only for pure Reg F presumption blocks (C-7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cupx.compliance.codes import ADVISORY_CITATIONS, CITATIONS, PRESUMPTION_CODES
from cupx.compliance.decision import Decision, DecisionKind
from cupx.compliance.inputs import parse_action, parse_context, parse_events
from cupx.compliance.models import Action, Context, Event
from cupx.compliance.profiles import JurisdictionProfile, resolve_profile
from cupx.compliance.rules import RULE_FAMILIES
from cupx.compliance.state import State

__all__ = ["evaluate", "evaluate_state"]


def evaluate(
    context: Context | Mapping[str, Any],
    events: Iterable[Event | Mapping[str, Any]],
    action: Action | Mapping[str, Any],
    profile: JurisdictionProfile | None = None,
) -> Decision:
    """Evaluate one proposed action against every applicable rule (see module docstring)."""
    ctx = parse_context(context)
    evs = parse_events(events, ctx)
    act = parse_action(action, ctx)
    return evaluate_state(build_state(ctx, evs, act, profile))


def build_state(ctx: Context, events: list[Event], action: Action, profile: JurisdictionProfile | None) -> State:
    prof = profile or resolve_profile(ctx.profile, str(ctx.collector_role))
    return State.build(ctx, events, action, prof)


def evaluate_state(st: State) -> Decision:
    for family in RULE_FAMILIES:
        family(st)
    st.computed.setdefault("candidate_time_zones", list(st.zones))
    codes = tuple(sorted(st.codes))
    flags = tuple(sorted(st.advisories))
    citations = tuple(dict.fromkeys([CITATIONS[c] for c in codes] + [ADVISORY_CITATIONS[f] for f in flags]))
    kind: DecisionKind
    if st.not_applicable and not codes:
        kind = "n/a"
    elif codes:
        kind = "partially_allowed" if st.partial else "blocked"
    else:
        kind = "allowed"
    override = bool(codes) and all(c in PRESUMPTION_CODES for c in codes)
    return Decision(kind, tuple(str(c) for c in codes), tuple(str(f) for f in flags), st.computed,
                    citations, override)

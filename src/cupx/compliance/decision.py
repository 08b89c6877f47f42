"""The guard's answer (RULES.md §6.4): decision, every reason code, advisories, computed values.

Invariants: `decision == "blocked"` iff at least one blocking code is present (for communication
actions); `override_permitted` is true only when every blocking code is a Reg F presumption (C-7);
codes and flags are sorted and unique so outputs are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Decision", "DecisionKind"]

DecisionKind = Literal["allowed", "blocked", "partially_allowed", "n/a"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome of one guard evaluation."""

    decision: DecisionKind
    reason_codes: tuple[str, ...] = ()
    advisory_flags: tuple[str, ...] = ()
    computed: dict[str, Any] = field(default_factory=dict)
    citations: tuple[str, ...] = ()
    override_permitted: bool = False

    @property
    def blocked(self) -> bool:
        return self.decision == "blocked"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates and datetimes as ISO strings)."""
        return {
            "decision": self.decision,
            "reason_codes": list(self.reason_codes),
            "advisory_flags": list(self.advisory_flags),
            "computed": _jsonable(self.computed),
            "citations": list(self.citations),
            "override_permitted": self.override_permitted,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value

"""Rule families of the guard, one module each (RULES.md §2-§5). Each family is a function
`check(state)` that adds every code that applies; order does not matter."""

from __future__ import annotations

from collections.abc import Callable

from cupx.compliance.rules.cease import check as _cease
from cupx.compliance.rules.disclosure import check as _disclosure
from cupx.compliance.rules.electronic import check as _electronic
from cupx.compliance.rules.frequency import check as _frequency
from cupx.compliance.rules.house import check as _house
from cupx.compliance.rules.medium import check as _medium
from cupx.compliance.rules.records import check as _records
from cupx.compliance.rules.representation import check as _representation
from cupx.compliance.rules.states import check as _states
from cupx.compliance.rules.timing import check as _timing
from cupx.compliance.rules.uk import check as _uk
from cupx.compliance.rules.validation import check as _validation
from cupx.compliance.state import State

__all__ = ["RULE_FAMILIES"]

RULE_FAMILIES: tuple[Callable[[State], None], ...] = (
    _frequency, _timing, _representation, _cease, _medium, _electronic, _disclosure, _validation, _records,
    _states, _uk, _house,
)

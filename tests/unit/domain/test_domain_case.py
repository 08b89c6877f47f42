"""Case state machine: every allowed move works through its method, every other move is refused with
the stable code `invalid_transition`, and history explains each move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.case import ALLOWED, Case, CaseStatus, StatusChange
from cupx.domain.errors import ErrorCode, InvalidTransition, ValidationError

NOW = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)
S = CaseStatus

# The method that moves a case to each status directly (no precondition of its own).
MOVE: dict[CaseStatus, Callable[[Case, datetime], StatusChange]] = {
    S.CURRENT: Case.cure, S.DELINQUENT: Case.become_delinquent, S.IN_ARRANGEMENT: Case.enter_arrangement,
    S.DISPUTED: Case.open_dispute, S.HARDSHIP_HOLD: Case.hold_for_hardship, S.ESCALATED: Case.escalate,
    S.PLACED_WITH_AGENCY: Case.place_with_agency, S.LEGAL: Case.refer_to_legal, S.RESOLVED_PAID: Case.resolve_paid,
    S.RESOLVED_SETTLED: Case.resolve_settled, S.WRITTEN_OFF: Case.write_off, S.CLOSED: Case.close,
}


@pytest.mark.parametrize("source", list(CaseStatus))
@pytest.mark.parametrize("target", list(CaseStatus))
def test_every_move_follows_allowed(source: CaseStatus, target: CaseStatus) -> None:
    case = Case(debt_id=1, status=source)
    if target in ALLOWED[source]:
        change = MOVE[target](case, NOW)
        assert case.status == target and change == StatusChange(source, target, NOW, change.reason)
        assert case.history == [change] and case.version == 1
    else:
        with pytest.raises(InvalidTransition) as err:
            MOVE[target](case, NOW)
        assert err.value.code == ErrorCode.INVALID_TRANSITION == "invalid_transition"
        assert err.value.details == {"from": source.value, "to": target.value}
        assert case.status == source and case.history == [] and case.version == 0


@settings(max_examples=200, deadline=None)
@given(targets=st.lists(st.sampled_from(list(CaseStatus)), max_size=20))
def test_random_walks_only_take_allowed_moves(targets: list[CaseStatus]) -> None:
    case = Case(debt_id=1)
    for target in targets:
        before = case.status
        try:
            MOVE[target](case, NOW)
        except InvalidTransition as exc:
            assert target not in ALLOWED[before] and exc.code == "invalid_transition"
            assert case.status == before
        else:
            assert target in ALLOWED[before]
    assert case.version == len(case.history)
    for change in case.history:
        assert change.to_status in ALLOWED[change.from_status]


def test_guarded_moves_and_terminal_state() -> None:
    case = Case(debt_id=1, status=S.DELINQUENT)
    with pytest.raises(InvalidTransition):
        case.break_arrangement(NOW)
    with pytest.raises(InvalidTransition):
        case.resolve_dispute(NOW, upheld=False)
    with pytest.raises(InvalidTransition):
        case.end_hold(NOW)
    with pytest.raises(InvalidTransition):
        case.reopen(NOW)
    case.open_dispute(NOW)
    case.resolve_dispute(NOW, upheld=True)
    assert case.status == S.CLOSED and not case.status.is_open and ALLOWED[S.CLOSED] == frozenset()
    with pytest.raises(ValidationError):
        Case(debt_id=2).become_delinquent(datetime(2026, 1, 1))  # naive instant

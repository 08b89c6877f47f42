"""Case status: where a debt stands in collection, as a state machine.

Transitions are methods on `Case`; a route or a handler never assigns `status`. An invalid move raises
`InvalidTransition` (code `invalid_transition`) naming both states. Every move is kept in `history`
with its reason and instant, so a bucket move can always be explained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cupx.domain.errors import InvalidTransition, ValidationError

__all__ = ["ALLOWED", "Case", "CaseStatus", "StatusChange"]


class CaseStatus(StrEnum):
    CURRENT = "current"  # nothing overdue
    DELINQUENT = "delinquent"  # overdue and worked by the strategy
    IN_ARRANGEMENT = "in_arrangement"  # a payment plan or settlement plan is running
    DISPUTED = "disputed"  # the customer disputes; collection paused until verification
    HARDSHIP_HOLD = "hardship_hold"  # breathing space or forbearance; no collection contact
    ESCALATED = "escalated"  # with a supervisor for review
    PLACED_WITH_AGENCY = "placed_with_agency"  # worked by a third-party agency
    LEGAL = "legal"  # referred to litigation
    RESOLVED_PAID = "resolved_paid"  # paid in full
    RESOLVED_SETTLED = "resolved_settled"  # settled for less; the rest written off
    WRITTEN_OFF = "written_off"  # the creditor stopped collecting
    CLOSED = "closed"  # archived; terminal

    @property
    def is_open(self) -> bool:
        return self not in _CLOSED_STATES


_CLOSED_STATES = frozenset({CaseStatus.RESOLVED_PAID, CaseStatus.RESOLVED_SETTLED, CaseStatus.WRITTEN_OFF,
                            CaseStatus.CLOSED})

S = CaseStatus
_RESOLUTIONS = {S.RESOLVED_PAID, S.RESOLVED_SETTLED, S.WRITTEN_OFF}
ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.CURRENT: frozenset({S.DELINQUENT, S.IN_ARRANGEMENT, S.DISPUTED, S.HARDSHIP_HOLD, S.RESOLVED_PAID,
                          S.WRITTEN_OFF, S.CLOSED}),
    S.DELINQUENT: frozenset({S.CURRENT, S.IN_ARRANGEMENT, S.DISPUTED, S.HARDSHIP_HOLD, S.ESCALATED,
                             S.PLACED_WITH_AGENCY, S.LEGAL, *_RESOLUTIONS}),
    S.IN_ARRANGEMENT: frozenset({S.CURRENT, S.DELINQUENT, S.DISPUTED, S.HARDSHIP_HOLD, S.ESCALATED,
                                 *_RESOLUTIONS}),
    S.DISPUTED: frozenset({S.CURRENT, S.DELINQUENT, S.IN_ARRANGEMENT, S.HARDSHIP_HOLD, S.ESCALATED,
                           S.CLOSED, *_RESOLUTIONS}),
    S.HARDSHIP_HOLD: frozenset({S.CURRENT, S.DELINQUENT, S.IN_ARRANGEMENT, S.DISPUTED, S.ESCALATED,
                                *_RESOLUTIONS}),
    S.ESCALATED: frozenset({S.DELINQUENT, S.IN_ARRANGEMENT, S.DISPUTED, S.HARDSHIP_HOLD, S.PLACED_WITH_AGENCY,
                            S.LEGAL, *_RESOLUTIONS}),
    S.PLACED_WITH_AGENCY: frozenset({S.DELINQUENT, S.IN_ARRANGEMENT, S.DISPUTED, S.HARDSHIP_HOLD, S.LEGAL,
                                     *_RESOLUTIONS}),
    S.LEGAL: frozenset({S.IN_ARRANGEMENT, S.DISPUTED, S.HARDSHIP_HOLD, *_RESOLUTIONS}),
    # A returned payment can re-open a paid or settled case.
    S.RESOLVED_PAID: frozenset({S.DELINQUENT, S.CURRENT, S.CLOSED}),
    S.RESOLVED_SETTLED: frozenset({S.DELINQUENT, S.CLOSED}),
    # Recoveries after write-off still happen.
    S.WRITTEN_OFF: frozenset({S.IN_ARRANGEMENT, S.RESOLVED_PAID, S.RESOLVED_SETTLED, S.CLOSED}),
    S.CLOSED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: CaseStatus
    to_status: CaseStatus
    at: datetime
    reason: str


@dataclass(slots=True)
class Case:
    """The collection case of one debt."""

    debt_id: int | str
    status: CaseStatus = CaseStatus.CURRENT
    history: list[StatusChange] = field(default_factory=list)
    version: int = 0

    def can_move_to(self, target: CaseStatus) -> bool:
        return target in ALLOWED[self.status]

    def _move(self, target: CaseStatus, at: datetime, reason: str) -> StatusChange:
        if at.tzinfo is None:
            raise ValidationError("transition instant must be timezone-aware", field="at")
        if target not in ALLOWED[self.status]:
            raise InvalidTransition(
                f"case of debt {self.debt_id} cannot move from {self.status} to {target}",
                field="status",
                details={"from": str(self.status), "to": str(target)},
            )
        change = StatusChange(self.status, target, at, reason)
        self.status = target
        self.history.append(change)
        self.version += 1
        return change

    def become_delinquent(self, at: datetime, reason: str = "payment overdue") -> StatusChange:
        return self._move(S.DELINQUENT, at, reason)

    def cure(self, at: datetime, reason: str = "arrears cleared") -> StatusChange:
        return self._move(S.CURRENT, at, reason)

    def enter_arrangement(self, at: datetime, reason: str = "payment plan agreed") -> StatusChange:
        return self._move(S.IN_ARRANGEMENT, at, reason)

    def break_arrangement(self, at: datetime, reason: str = "arrangement broken") -> StatusChange:
        if self.status != S.IN_ARRANGEMENT:
            raise InvalidTransition(f"case of debt {self.debt_id} has no arrangement to break", field="status")
        return self._move(S.DELINQUENT, at, reason)

    def open_dispute(self, at: datetime, reason: str = "customer disputes") -> StatusChange:
        return self._move(S.DISPUTED, at, reason)

    def resolve_dispute(self, at: datetime, upheld: bool, reason: str = "dispute resolved") -> StatusChange:
        """Upheld: the debt is not owed and the case closes. Otherwise collection resumes."""
        if self.status != S.DISPUTED:
            raise InvalidTransition(f"case of debt {self.debt_id} is not disputed", field="status")
        return self._move(S.CLOSED if upheld else S.DELINQUENT, at, reason)

    def hold_for_hardship(self, at: datetime, reason: str = "hardship") -> StatusChange:
        return self._move(S.HARDSHIP_HOLD, at, reason)

    def end_hold(self, at: datetime, reason: str = "hold ended") -> StatusChange:
        if self.status != S.HARDSHIP_HOLD:
            raise InvalidTransition(f"case of debt {self.debt_id} is not on hold", field="status")
        return self._move(S.DELINQUENT, at, reason)

    def escalate(self, at: datetime, reason: str = "escalated for review") -> StatusChange:
        return self._move(S.ESCALATED, at, reason)

    def place_with_agency(self, at: datetime, reason: str = "placed with agency") -> StatusChange:
        return self._move(S.PLACED_WITH_AGENCY, at, reason)

    def refer_to_legal(self, at: datetime, reason: str = "referred to legal") -> StatusChange:
        return self._move(S.LEGAL, at, reason)

    def resolve_paid(self, at: datetime, reason: str = "paid in full") -> StatusChange:
        return self._move(S.RESOLVED_PAID, at, reason)

    def resolve_settled(self, at: datetime, reason: str = "settled") -> StatusChange:
        return self._move(S.RESOLVED_SETTLED, at, reason)

    def write_off(self, at: datetime, reason: str = "written off") -> StatusChange:
        return self._move(S.WRITTEN_OFF, at, reason)

    def reopen(self, at: datetime, reason: str = "payment returned") -> StatusChange:
        """A reversal re-opens a resolved case into active collection."""
        if self.status not in (S.RESOLVED_PAID, S.RESOLVED_SETTLED):
            raise InvalidTransition(f"case of debt {self.debt_id} is not resolved", field="status")
        return self._move(S.DELINQUENT, at, reason)

    def close(self, at: datetime, reason: str = "closed") -> StatusChange:
        return self._move(S.CLOSED, at, reason)

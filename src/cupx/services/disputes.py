"""Disputes (RULES.md R-13): record a dispute, send verification, resolve.

Each handler runs in ONE transaction:
- `record_dispute`: inserts a `dispute` contact event (payload written, medium, grounds, submitted_at) so the
  compliance guard sees it, moves the case to `disputed` (`Case.open_dispute`, one `case_status_changes`
  row), and cancels the customer's pending collection messages that concern only disputed debts
  (status `cancelled`, last_error `dispute`). Any dispute, oral or written, timely or not, holds collection
  here: the nightly cycle stops proposing contacts for a `disputed` case (R-13 untimely/oral disputes only
  relax what the guard must block; holding is the conservative side).
- `send_verification`: inserts a `verification_sent` contact event; the case stays `disputed`.
- `resolve_dispute`: upheld closes the case (the debt is not owed); not upheld returns it to `delinquent`,
  and only after verification was sent at or after the latest dispute (collection may not resume before).

Invariants: input is validated before anything is written (ValidationError names the field); an unknown debt
is NotFound; recording a dispute on a case already `disputed` is a Conflict. Case status moves only through
the domain `Case` methods and is saved with the payments area's `CaseStore` (optimistic version check).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cupx.domain.case import Case, CaseStatus
from cupx.domain.errors import Conflict, ValidationError
from cupx.services.payment_ports import CaseStore, DebtRow, OutboxStore
from cupx.services.uow import UnitOfWork

__all__ = [
    "DisputeResult",
    "DisputeStore",
    "RecordDispute",
    "ResolveDispute",
    "SendVerification",
    "record_dispute",
    "resolve_dispute",
    "send_verification",
]

# Media that are not writing: a dispute by one of these cannot be `written` (R-13, §1006.38(d)(2)).
ORAL_MEDIA = frozenset({"call", "phone", "telephone", "telephone_call", "oral", "voice", "voicemail",
                        "inbound_call", "in_person_oral"})
# Media that are also a contact_events channel.
_CHANNELS = frozenset({"call", "sms", "email", "letter", "portal"})
# Outbox sources that are not collection (a payment confirmation is still owed to the customer).
_KEEP_SOURCES = frozenset({"payment"})


class DisputeStore(abc.ABC):
    """What the dispute handlers need beyond cases and the outbox."""

    @abc.abstractmethod
    def add_event(self, *, customer_id: int, debt_id: int, type_: str, channel: str | None, at: datetime,
                  payload: dict[str, Any]) -> None:
        """Insert a contact_events row attributed to the debt (debt_id and debt_ids [debt_id])."""

    @abc.abstractmethod
    def last_event_at(self, debt_id: int, type_: str) -> datetime | None:
        """The latest `at` of the debt's contact events of that type, or None."""

    @abc.abstractmethod
    def open_debt_ids(self, customer_id: int) -> list[int]:
        """The customer's debts in an open, not yet disputed case, by id."""


@dataclass(frozen=True, slots=True)
class RecordDispute:
    debt_id: int
    received_at: datetime  # when the collector received it (aware)
    written: bool
    medium: str  # letter, email, portal, fax, telephone_call, ...
    grounds: str
    submitted_at: datetime | None = None  # when the consumer sent it, if shown (C-6)
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class SendVerification:
    debt_id: int
    sent_at: datetime
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class ResolveDispute:
    debt_id: int
    upheld: bool
    at: datetime
    actor: str = "system"


@dataclass(slots=True)
class DisputeResult:
    debt_id: int
    customer_id: int
    status: str
    cancelled_messages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"debt_id": self.debt_id, "customer_id": self.customer_id, "status": self.status,
                "cancelled_messages": self.cancelled_messages}


def _check_id(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError("debt_id must be a positive integer", field="debt_id")


def _check_instant(value: object, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{name} must be a timezone-aware instant", field=name)


def _check_flag(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", field=name)


def _check_actor(actor: object) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise ValidationError("actor is required", field="actor")


def _validate_record(cmd: RecordDispute) -> None:
    _check_id(cmd.debt_id)
    _check_instant(cmd.received_at, "received_at")
    _check_flag(cmd.written, "written")
    if not isinstance(cmd.medium, str) or not cmd.medium.strip() or len(cmd.medium) > 40:
        raise ValidationError("medium must be 1-40 characters (letter, email, portal, ...)", field="medium")
    if cmd.written and cmd.medium.strip().lower() in ORAL_MEDIA:
        raise ValidationError(f"a written dispute cannot arrive by {cmd.medium}", field="medium")
    if not isinstance(cmd.grounds, str) or not cmd.grounds.strip() or len(cmd.grounds) > 500:
        raise ValidationError("grounds must be 1-500 characters", field="grounds")
    if cmd.submitted_at is not None:
        _check_instant(cmd.submitted_at, "submitted_at")
        if cmd.submitted_at > cmd.received_at:
            raise ValidationError("submitted_at cannot be after received_at", field="submitted_at")
    _check_actor(cmd.actor)


def _the_debt(uow: UnitOfWork, debt_id: int) -> tuple[list[DebtRow], DebtRow]:
    """Lock the customer's debts (NotFound for an unknown debt) and return them with the one asked for."""
    debts = uow[CaseStore].lock_debts(debt_id=debt_id)
    return debts, next(d for d in debts if d.id == debt_id)


def record_dispute(uow: UnitOfWork, cmd: RecordDispute) -> DisputeResult:
    """Record a dispute, hold the case (`disputed`) and cancel collection messages that concern only
    disputed debts; commit."""
    _validate_record(cmd)
    debts, debt = _the_debt(uow, cmd.debt_id)
    if debt.status == CaseStatus.DISPUTED:
        raise Conflict(f"debt {debt.id} is already disputed", field="debt_id")
    case = Case(debt.id, debt.status, version=debt.version)
    change = case.open_dispute(cmd.received_at, f"dispute: {cmd.grounds}"[:200])
    medium = cmd.medium.strip().lower()
    payload = {"written": cmd.written, "medium": medium, "grounds": cmd.grounds,
               "submitted_at": cmd.submitted_at.isoformat() if cmd.submitted_at else None}
    uow[DisputeStore].add_event(customer_id=debt.customer_id, debt_id=debt.id, type_="dispute",
                                channel=medium if medium in _CHANNELS else None, at=cmd.received_at,
                                payload=payload)
    uow[CaseStore].save_case_moves([(debt, change)], cmd.actor)  # sets debt.status to disputed
    cancelled = _cancel_outbox(uow, debt, debts)
    uow.commit()
    return DisputeResult(debt.id, debt.customer_id, str(debt.status), cancelled)


def _cancel_outbox(uow: UnitOfWork, debt: DebtRow, debts: list[DebtRow]) -> int:
    """Pending messages about this debt whose debts are all disputed now; kept: non-collection sources."""
    disputed = {d.id for d in debts if d.status == CaseStatus.DISPUTED}
    outbox = uow[OutboxStore]
    stale = [m.id for m in outbox.pending(debt.customer_id)
             if m.source not in _KEEP_SOURCES and debt.id in m.debt_ids and set(m.debt_ids) <= disputed]
    if stale:
        outbox.cancel(stale, "dispute")
    return len(stale)


def send_verification(uow: UnitOfWork, cmd: SendVerification) -> DisputeResult:
    """Record that verification of a disputed debt was sent; the case stays disputed; commit."""
    _check_id(cmd.debt_id)
    _check_instant(cmd.sent_at, "sent_at")
    _check_actor(cmd.actor)
    _debts, debt = _the_debt(uow, cmd.debt_id)
    if debt.status != CaseStatus.DISPUTED:
        raise Conflict(f"debt {debt.id} is not disputed (it is {debt.status})", field="debt_id")
    uow[DisputeStore].add_event(customer_id=debt.customer_id, debt_id=debt.id, type_="verification_sent",
                                channel="letter", at=cmd.sent_at, payload={"actor": cmd.actor})
    uow.commit()
    return DisputeResult(debt.id, debt.customer_id, str(debt.status))


def resolve_dispute(uow: UnitOfWork, cmd: ResolveDispute) -> DisputeResult:
    """Upheld: close the case. Not upheld: back to delinquent, once verification was sent; commit."""
    _check_id(cmd.debt_id)
    _check_flag(cmd.upheld, "upheld")
    _check_instant(cmd.at, "at")
    _check_actor(cmd.actor)
    _debts, debt = _the_debt(uow, cmd.debt_id)
    if debt.status != CaseStatus.DISPUTED:
        raise Conflict(f"debt {debt.id} is not disputed (it is {debt.status})", field="debt_id")
    if not cmd.upheld:
        store = uow[DisputeStore]
        disputed_at, verified_at = store.last_event_at(debt.id, "dispute"), \
            store.last_event_at(debt.id, "verification_sent")
        if verified_at is None or (disputed_at is not None and verified_at < disputed_at):
            raise Conflict("send verification before collection resumes (R-13)", field="upheld")
    reason = "dispute upheld: not owed" if cmd.upheld else "dispute not upheld: verified"
    change = Case(debt.id, debt.status, version=debt.version).resolve_dispute(cmd.at, cmd.upheld, reason)
    uow[CaseStore].save_case_moves([(debt, change)], cmd.actor)
    uow.commit()
    return DisputeResult(debt.id, debt.customer_id, str(debt.status))

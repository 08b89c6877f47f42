"""Ports of the payments and arrangements area: what its handlers need from storage.

The SQL implementations live in `cupx.adapters.repositories.payments` (payments, cases, outbox, events)
and `cupx.adapters.repositories.payments_arrangements` (promises, plans, holds, statements).
Handlers reach them as `uow[PaymentStore]` etc. and never import an adapter.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from cupx.domain.case import CaseStatus, StatusChange
from cupx.domain.hardship import BreathingSpace
from cupx.domain.plans import Plan

__all__ = [
    "CaseStore",
    "DebtRow",
    "EventStore",
    "HoldStore",
    "OutboxRow",
    "PaymentRecord",
    "PaymentStore",
    "PlanRecord",
    "PlanStore",
    "PromiseStore",
]


@dataclass(slots=True)
class DebtRow:
    id: int
    customer_id: int
    currency: str
    status: CaseStatus
    version: int
    age_key: date | None = None
    balance_minor: int = 0


@dataclass(slots=True)
class PaymentRecord:
    id: int
    customer_id: int
    amount_minor: int
    currency: str
    received_at: datetime
    method: str
    reference: str
    idempotency_key: str
    status: str
    credit_minor: int
    allocations: list[tuple[int, int, int]] = field(default_factory=list)  # (debt_id, ledger_entry_id, amount)


@dataclass(slots=True)
class OutboxRow:
    id: int
    debt_ids: list[int]
    channel: str
    template_id: str | None
    source: str


@dataclass(slots=True)
class PlanRecord:
    """A plan with the columns the domain `Plan` does not carry."""

    plan: Plan
    balance_minor: int
    first_due_on: date
    segment: str
    freeze_interest: bool
    discount_bp: int
    requested_by: str
    requested_role: str
    approved_by: str | None = None
    created_at: datetime | None = None
    letter_path: str | None = None
    statement_id: int | None = None


class CaseStore(abc.ABC):
    """Debts as seen by arrangements: locking, balances and case status."""

    @abc.abstractmethod
    def lock_debts(self, *, customer_id: int | None = None, debt_id: int | None = None) -> list[DebtRow]:
        """Lock and return every debt of the customer (of `debt_id`'s customer); NotFound if none."""

    @abc.abstractmethod
    def debts(self, debt_ids: Iterable[int]) -> list[DebtRow]: ...

    @abc.abstractmethod
    def balances(self, debt_ids: Sequence[int]) -> dict[int, int]:
        """Signed ledger totals per debt (positive = owed), read after the lock."""

    @abc.abstractmethod
    def balances_and_plans(self, customer_id: int, debt_ids: Sequence[int]) -> tuple[dict[int, int], int]:
        """`balances` plus how many active plans the customer has, in one round trip."""

    @abc.abstractmethod
    def save_case_moves(self, moves: Sequence[tuple[DebtRow, StatusChange]], actor: str) -> None: ...

    @abc.abstractmethod
    def post_entries(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert ledger entries (dicts of ledger_entries columns) and return their ids in order."""

    @abc.abstractmethod
    def customer_flags(self, customer_id: int) -> set[str]: ...


class PaymentStore(abc.ABC):
    @abc.abstractmethod
    def by_key(self, idempotency_key: str) -> PaymentRecord | None: ...

    @abc.abstractmethod
    def get(self, payment_id: int) -> PaymentRecord: ...

    @abc.abstractmethod
    def add(self, record: PaymentRecord, *, source: str, instructed: bool, created_at: datetime) -> int | None:
        """Insert a payment; None when its idempotency key is already taken."""

    @abc.abstractmethod
    def post_allocations(self, payment_id: int, parts: Mapping[int, int], currency: str, effective_date: date,
                         posted_at: datetime, memo: str) -> None:
        """Insert one ledger entry per debt (kind payment, source 'payment', idempotency key
        `payment:<id>:<debt_id>`) and the matching `payment_allocations` rows."""

    @abc.abstractmethod
    def mark_reversed(self, payment_id: int, at: datetime, reason: str) -> None: ...

    @abc.abstractmethod
    def webhook_seen(self, event_id: str) -> bool: ...

    @abc.abstractmethod
    def remember_webhook(self, event_id: str, type_: str, payment_id: int | None, at: datetime) -> bool:
        """Record a processed event id; False when it was already recorded (a replay)."""


class OutboxStore(abc.ABC):
    @abc.abstractmethod
    def pending(self, customer_id: int) -> list[OutboxRow]: ...

    @abc.abstractmethod
    def cancel(self, ids: Sequence[int], reason: str) -> None: ...

    @abc.abstractmethod
    def queue(self, *, message_key: str, customer_id: int, debt_ids: Sequence[int], template_id: str,
              payload: Mapping[str, Any], at: datetime, channel: str | None = None) -> bool:
        """Queue a message on `channel` (default: email if the customer has one, else sms); False if none."""


class EventStore(abc.ABC):
    @abc.abstractmethod
    def record(self, events: Iterable[object], *, actor: str, at: datetime) -> None:
        """Append domain events to the audit trail."""

    @abc.abstractmethod
    def record_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk append of already-shaped arrangement_events rows."""


class PromiseStore(abc.ABC):
    @abc.abstractmethod
    def add(self, row: Mapping[str, Any]) -> int: ...

    @abc.abstractmethod
    def get(self, promise_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def list(self, *, customer_id: int | None = None, status: str | None = None,
             queue_status: str | None = None, limit: int = 200) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def pending_frame(self) -> pl.DataFrame:
        """Pending promises: id, customer_id, debt_id, amount_minor, promised_on, created_at."""

    @abc.abstractmethod
    def payments_frame(self, as_of: date) -> pl.DataFrame:
        """Posted payments that may count towards a pending promise: promise_id, effective_date, amount_minor."""

    @abc.abstractmethod
    def apply_resolutions(self, frame: pl.DataFrame, at: datetime) -> None:
        """Set status, paid_minor, resolved_at (and queue_status for broken) from id, new_status, paid_minor."""

    @abc.abstractmethod
    def set_status(self, promise_id: int, status: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def work(self, promise_id: int, by: str, at: datetime) -> None: ...


class PlanStore(abc.ABC):
    @abc.abstractmethod
    def add(self, record: PlanRecord, at: datetime) -> int: ...

    @abc.abstractmethod
    def get(self, plan_id: int, *, lock: bool = False) -> PlanRecord: ...

    @abc.abstractmethod
    def save(self, plan: Plan, at: datetime, *, end_reason: str | None = None, approved_by: str | None = None,
             letter_path: str | None = None) -> None:
        """Persist status, counters and instalments (inserting new ones)."""

    @abc.abstractmethod
    def open_for_customer(self, customer_id: int) -> list[PlanRecord]:
        """Active plans of the customer (with instalments)."""

    @abc.abstractmethod
    def list(self, *, customer_id: int | None = None, status: str | None = None, kind: str | None = None,
             limit: int = 200) -> list[PlanRecord]: ...

    @abc.abstractmethod
    def count_since(self, customer_id: int, since: datetime) -> int:
        """Plans created for the customer since `since` (cancelled proposals excluded)."""

    @abc.abstractmethod
    def with_overdue(self, as_of: date) -> list[PlanRecord]:
        """Active plans with an unpaid instalment due before `as_of`."""

    @abc.abstractmethod
    def add_statement(self, customer_id: int, currency: str, income: int, expenditure: int,
                      lines: Mapping[str, int], taken_by: str, taken_on: date, at: datetime) -> int: ...

    @abc.abstractmethod
    def statement(self, statement_id: int | None = None, *, customer_id: int | None = None) -> dict[str, Any] | None:
        """A statement by id, or the customer's latest."""

    @abc.abstractmethod
    def record_reaging(self, debt_id: int, plan_id: int, on: date, payments: int, at: datetime) -> None: ...

    @abc.abstractmethod
    def write_letter(self, plan_id: int, pdf: bytes) -> str:
        """Store a settlement letter; return where it is."""


class HoldStore(abc.ABC):
    @abc.abstractmethod
    def add(self, hold: BreathingSpace, created_by: str, at: datetime) -> int: ...

    @abc.abstractmethod
    def active(self, customer_id: int, on: date) -> list[BreathingSpace]: ...

    @abc.abstractmethod
    def expired(self, as_of: date) -> list[BreathingSpace]:
        """Active holds whose last day is before `as_of`."""

    @abc.abstractmethod
    def end(self, hold_id: int, at: datetime) -> None: ...

    @abc.abstractmethod
    def paused_debt_ids(self, on: date, *, interest: bool = False) -> set[int]:
        """Debts under an active hold that pauses contact (or, with `interest`, interest and fees,
        including debts of active plans agreed with an interest freeze)."""

    @abc.abstractmethod
    def add_customer_flag(self, customer_id: int, flag: str) -> set[str]:
        """Add a `CustomerFlag` value to the customer; return the flags now held."""

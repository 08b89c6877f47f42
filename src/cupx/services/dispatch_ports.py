"""Ports and messages of the dispatcher: what it reads from storage, what it hands to a channel.

- `OutboxRepository`: claim due rows (at most once across dispatchers), load what rendering and the
  guard need in bulk, and record outcomes (status, provider id, contact events, call tasks) in one go.
- `TemplateRepository`: versioned templates.
- `ChannelSender`: one delivery channel (SMTP, SMS provider, PDF letters, a file sink). `send` returns
  the provider's id or raises `TransientSendError` (retry later) / `PermanentSendError` (give up,
  keep the reason). Every message carries `key`, unique per outbox row and stable across retries,
  which senders pass to providers that de-duplicate (SMS `Idempotency-Key`, email `Message-ID`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cupx.comms.rendering import TemplateSource
from cupx.comms.status import OutboxStatus

__all__ = [
    "ChannelSender",
    "ContactPoints",
    "DebtFacts",
    "OutboxRepository",
    "OutboxRow",
    "Outcome",
    "OutgoingMessage",
    "PermanentSendError",
    "SendError",
    "TemplateRepository",
    "TransientSendError",
]


class SendError(Exception):
    """A channel could not send; `reason` is the provider's own words (kept on the outbox row)."""

    transient = True

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:1000]


class TransientSendError(SendError):
    transient = True  # connection refused, timeouts, 4xx SMTP, HTTP 429/5xx: try again later


class PermanentSendError(SendError):
    transient = False  # invalid recipient, 5xx SMTP, HTTP 4xx: will never succeed as is


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    key: str  # unique per outbox row, stable across retries: the provider-side idempotency key
    channel: str
    to: str  # email address, E.164 number, or the postal address block for letters
    body: str
    subject: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)  # outbox_id, customer_id, template (no PII)


class ChannelSender(abc.ABC):
    channel: str = ""

    @abc.abstractmethod
    def send(self, message: OutgoingMessage) -> str:
        """Send one message; return the provider's id."""

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[str | SendError]:
        """Send several; each result is a provider id or the SendError for that message."""
        out: list[str | SendError] = []
        for m in messages:
            try:
                out.append(self.send(m))
            except SendError as exc:
                out.append(exc)
        return out

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


@dataclass(slots=True)
class OutboxRow:
    id: int
    message_key: str
    customer_id: int
    debt_ids: list[int]
    channel: str
    template_id: str | None
    language: str
    scheduled_at: datetime
    attempts: int
    claimed_by: str
    source: str = "cycle"
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ContactPoints:
    """A customer as the dispatcher needs them: decrypted contact points (never logged)."""

    customer_id: int
    name: str
    language: str
    flags: list[str]
    tz_candidates: list[str]
    stated_tz: str | None
    phones: list[dict[str, Any]]  # id, number, type, provenance, tcpa_consent, consent_at, opted_out, wrong_number
    emails: list[dict[str, Any]]  # id, address, provenance, opted_out, bounced, domain_public, employer_provided_known
    addresses: list[dict[str, Any]]  # id, line1, line2, city, state, postal_code, country, place, undeliverable


@dataclass(slots=True)
class DebtFacts:
    id: int
    external_id: str
    creditor: str
    product: str
    currency: str
    jurisdiction: str
    status: str
    original_minor: int
    balance_minor: int
    charges_minor: int = 0
    interest_minor: int = 0
    fees_minor: int = 0
    credits_minor: int = 0  # payments and write-offs
    charge_off_date: Any = None
    opened_on: Any = None
    sol_date: Any = None
    customer_id: int = 0


@dataclass(slots=True)
class Outcome:
    """What happened to one claimed row; recorded by `OutboxRepository.finish`."""

    row: OutboxRow
    status: OutboxStatus
    provider_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None  # for a retry (status pending)
    scheduled_at: datetime | None = None  # for a re-schedule into the allowed window (status pending)
    contact_event: dict[str, Any] | None = None  # type, channel, payload (C6)
    call_task: dict[str, Any] | None = None  # kind, script, due_at, template_id, template_version
    audit: Any = None  # the guard evaluation's AuditRecordIn (services.dispatch_audit), appended with the outcome


class OutboxRepository(abc.ABC):
    @abc.abstractmethod
    def claim(self, *, worker: str, now: datetime, lease: timedelta, limit: int,
              channels: Sequence[str] | None = None) -> list[OutboxRow]:
        """Claim up to `limit` due rows (pending and due, or claimed with an expired lease) and commit."""

    @abc.abstractmethod
    def contact_points(self, customer_ids: Sequence[int]) -> dict[int, ContactPoints]: ...

    @abc.abstractmethod
    def debts(self, debt_ids: Sequence[int]) -> dict[int, DebtFacts]: ...

    @abc.abstractmethod
    def events(self, customer_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Contact history per customer in RULES.md 6.2 vocabulary (`at` ISO-8601 with offset)."""

    @abc.abstractmethod
    def finish(self, outcomes: Sequence[Outcome], now: datetime) -> int:
        """Record outcomes of rows this worker still holds; return how many were recorded."""

    @abc.abstractmethod
    def unreachable(self, points: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        """Of ("sms", phone_id) / ("email", email_id) points, those now opted out, bounced or wrong."""

    @abc.abstractmethod
    def enqueue(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert outbox rows (message_key unique: an existing key is skipped); return how many were new."""


class TemplateRepository(abc.ABC):
    @abc.abstractmethod
    def latest(self) -> dict[tuple[str, str, str], TemplateSource]:
        """The newest version of every template, keyed (template_id, channel, language)."""

    @abc.abstractmethod
    def versions(self, template_id: str, channel: str, language: str) -> list[TemplateSource]: ...

    @abc.abstractmethod
    def add(self, template: TemplateSource, *, created_by: str, now: datetime) -> TemplateSource:
        """Store as the next version (the given `version` is ignored) and return it with its version."""

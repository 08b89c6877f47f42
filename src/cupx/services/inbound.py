"""What comes back from customers and providers: SMS replies, delivery receipts, email bounces and
complaints, one-click unsubscribes (contract C6).

- `receive_sms`: STOP, UNSUBSCRIBE, CANCEL, END, QUIT, ALTO, PARAR (whole message) mark every matching
  phone `opted_out` and add `electronic_opt_out` and `tcpa_revocation` contact events, committed before
  anything else happens, so no later send can pick the number; then one confirmation is queued (only
  the first time: a second STOP finds the number already out). HELP queues the help reply. Anything
  else is a consumer-initiated contact for the desk. A provider retry of the same message id is a
  no-op (`inbound_messages.provider_id` is unique).
- `record_delivery_status`: the provider's receipt moves a sent row to delivered/undelivered;
  "unsubscribed recipient" (21610) also marks the phone opted out.
- `record_email_event`: a hard bounce marks the address bounced, a complaint opts it out.
- `unsubscribe_email`: the signed link in every email (R-10) opts the address out.
Numbers and addresses are found by keyed hash and never logged; message bodies are stored encrypted.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cupx.comms.keywords import InboundKeyword, classify_keyword
from cupx.comms.status import OutboxStatus
from cupx.domain.customer import normalize_email, normalize_phone
from cupx.domain.errors import AuthenticationFailed
from cupx.services.dispatch_ports import OutboxRepository
from cupx.services.uow import UnitOfWork

__all__ = ["InboundRepository", "InboundResult", "read_unsubscribe_token", "receive_sms", "record_delivery_status",
           "record_email_event", "unsubscribe_email", "unsubscribe_token", "unsubscribe_url_factory"]

_SPANISH = frozenset({"alto", "parar", "ayuda"})
_UNSUBSCRIBED_CODES = frozenset({"21610"})  # provider: the recipient has replied STOP at carrier level


class _Runtime(Protocol):
    settings: Any
    cipher: Any

    def uow(self) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class ContactRef:
    id: int
    customer_id: int
    opted_out: bool
    language: str = "en"


class InboundRepository(abc.ABC):
    @abc.abstractmethod
    def record_inbound(self, row: dict[str, Any]) -> bool:
        """Store an inbound message; False when its provider_id was already recorded."""

    @abc.abstractmethod
    def phones_by_hash(self, number_hash: str) -> list[ContactRef]: ...

    @abc.abstractmethod
    def emails_by_hash(self, address_hash: str) -> list[ContactRef]: ...

    @abc.abstractmethod
    def email_by_id(self, email_id: int) -> ContactRef | None: ...

    @abc.abstractmethod
    def set_phone_flags(self, phone_ids: Sequence[int], *, opted_out: bool | None = None,
                        wrong_number: bool | None = None) -> None: ...

    @abc.abstractmethod
    def set_email_flags(self, email_ids: Sequence[int], *, opted_out: bool | None = None,
                        bounced: bool | None = None) -> None: ...

    @abc.abstractmethod
    def add_events(self, events: Sequence[dict[str, Any]]) -> None: ...

    @abc.abstractmethod
    def open_debt_ids(self, customer_id: int) -> list[int]: ...

    @abc.abstractmethod
    def sent_message(self, provider_id: str) -> dict[str, Any] | None:
        """The outbox row (id, customer_id, channel, status, payload) a provider id belongs to."""

    @abc.abstractmethod
    def set_outbox_status(self, outbox_id: int, status: OutboxStatus, error: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class InboundResult:
    kind: InboundKeyword
    customers: tuple[int, ...] = ()
    duplicate: bool = False
    reply_queued: bool = False


def _event(customer_id: int, type_: str, at: datetime, channel: str, **payload: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "type": type_, "channel": channel, "at": at, "payload": payload}


def receive_sms(runtime: _Runtime, from_number: str, body: str, *, to_number: str | None = None,
                provider_id: str | None = None, now: datetime | None = None) -> InboundResult:
    """Handle one inbound text (see module docstring); the opt-out is committed before returning."""
    now = now or datetime.now(UTC)
    number = normalize_phone(from_number, field_name="From")
    number_hash = runtime.cipher.lookup_hash(number)
    kind = classify_keyword(body)
    provider_id = provider_id or "sms:" + hashlib.sha256(f"{number}|{body}|{now.isoformat()}".encode()).hexdigest()
    with runtime.uow() as uow:
        repo = uow[InboundRepository]
        phones = repo.phones_by_hash(number_hash)
        customers = tuple(sorted({p.customer_id for p in phones}))
        fresh = repo.record_inbound({
            "provider_id": provider_id, "channel": "sms", "kind": str(kind), "from_hash": number_hash,
            "customer_id": customers[0] if customers else None, "body_enc": runtime.cipher.encrypt(body or ""),
            "received_at": now})
        if not fresh:
            return InboundResult(kind, customers, duplicate=True)
        queued = _handle_keyword(uow, repo, kind, phones, body, provider_id, now)
        uow.commit()
    return InboundResult(kind, customers, reply_queued=queued)


def _handle_keyword(uow: UnitOfWork, repo: InboundRepository, kind: InboundKeyword, phones: list[ContactRef],
                    body: str, provider_id: str, now: datetime) -> bool:
    word = (body or "").strip().casefold().rstrip(".!? ")
    spanish = word in _SPANISH
    if kind == InboundKeyword.OPT_OUT:
        first_time = [p for p in phones if not p.opted_out]
        repo.set_phone_flags([p.id for p in phones], opted_out=True)
        events = []
        for p in phones:
            events.append(_event(p.customer_id, "electronic_opt_out", now, "sms", phone_id=p.id, keyword=word,
                                 medium="text"))
            events.append(_event(p.customer_id, "tcpa_revocation", now, "sms", phone_id=p.id, method="text_reply"))
        repo.add_events(events)
        return _queue_reply(uow, repo, first_time, "opt_out_confirmation", provider_id, now, spanish)
    for p in phones:
        repo.add_events([_event(p.customer_id, "consumer_initiated_contact", now, "sms", phone_id=p.id,
                                medium="text")])
    if kind == InboundKeyword.HELP:
        return _queue_reply(uow, repo, phones, "help_reply", provider_id, now, spanish)
    return False


def _queue_reply(uow: UnitOfWork, repo: InboundRepository, phones: Sequence[ContactRef], template_id: str,
                 provider_id: str, now: datetime, spanish: bool) -> bool:
    rows = [{"message_key": f"reply:{provider_id}:{p.id}", "customer_id": p.customer_id,
             "debt_ids": repo.open_debt_ids(p.customer_id), "channel": "sms", "template_id": template_id,
             "language": "es" if spanish else p.language, "scheduled_at": now, "created_at": now,
             "source": "inbound", "payload": {"to_phone_id": p.id, "in_reply_to": provider_id}}
            for p in phones]
    return uow[OutboxRepository].enqueue(rows) > 0


_RECEIPT = {"delivered": OutboxStatus.DELIVERED, "undelivered": OutboxStatus.UNDELIVERED,
            "failed": OutboxStatus.UNDELIVERED}


def record_delivery_status(runtime: _Runtime, provider_id: str, status: str, *, error_code: str | None = None,
                           now: datetime | None = None) -> bool:
    """Apply a provider's delivery receipt; True when the outbox row changed."""
    target = _RECEIPT.get((status or "").lower())
    if target is None:
        return False  # queued, sending, sent: nothing new
    with runtime.uow() as uow:
        repo = uow[InboundRepository]
        row = repo.sent_message(provider_id)
        if row is None or not OutboxStatus(row["status"]).can_move_to(target):
            return False
        repo.set_outbox_status(row["id"], target, f"provider error {error_code}" if error_code else None)
        phone_id = row["payload"].get("to_phone_id") or row.get("phone_id")
        if error_code in _UNSUBSCRIBED_CODES and phone_id:
            repo.set_phone_flags([int(phone_id)], opted_out=True)
        uow.commit()
    return True


def record_email_event(runtime: _Runtime, kind: str, *, address: str | None = None, message_id: str | None = None,
                       provider_id: str | None = None, now: datetime | None = None) -> bool:
    """A bounce, complaint or delivery report for an email; True when it was new and applied."""
    now = now or datetime.now(UTC)
    kind = (kind or "").lower()
    with runtime.uow() as uow:
        repo = uow[InboundRepository]
        refs: list[ContactRef] = []
        address_hash = ""
        if address:
            address_hash = runtime.cipher.lookup_hash(normalize_email(address))
            refs = repo.emails_by_hash(address_hash)
        key = provider_id or f"email:{kind}:{message_id or address_hash}"
        if not repo.record_inbound({"provider_id": key, "channel": "email", "kind": kind, "from_hash": address_hash,
                                    "customer_id": refs[0].customer_id if refs else None, "received_at": now}):
            return False
        row = None
        if message_id:  # relays quote the Message-ID with or without its angle brackets
            row = repo.sent_message(message_id) or repo.sent_message(f"<{message_id.strip('<>')}>")
        if row is not None and kind in ("bounce", "delivered"):
            target = OutboxStatus.UNDELIVERED if kind == "bounce" else OutboxStatus.DELIVERED
            if OutboxStatus(row["status"]).can_move_to(target):
                repo.set_outbox_status(row["id"], target, "bounced" if kind == "bounce" else None)
        _mark_email(repo, kind, refs, now)
        uow.commit()
    return True


def _mark_email(repo: InboundRepository, kind: str, refs: list[ContactRef], now: datetime) -> None:
    if kind == "bounce":
        repo.set_email_flags([r.id for r in refs], bounced=True)
        repo.add_events([_event(r.customer_id, "undeliverable_notice", now, "email", email_id=r.id, medium="email")
                         for r in refs])
    elif kind == "complaint":
        repo.set_email_flags([r.id for r in refs], opted_out=True)
        repo.add_events([_event(r.customer_id, "electronic_opt_out", now, "email", email_id=r.id, method="complaint")
                         for r in refs])


def _unsubscribe_mac(secret: str, email_id: int) -> str:
    digest = hmac.new(f"cupx.unsubscribe:{secret}".encode(), str(int(email_id)).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def unsubscribe_token(secret: str, email_id: int) -> str:
    """`<email id>.<HMAC-SHA256 tag>`: names the address record, unforgeable without the app's secret."""
    return f"{int(email_id)}.{_unsubscribe_mac(secret, email_id)}"


def read_unsubscribe_token(secret: str, token: str) -> int:
    head, _, tag = (token or "").partition(".")
    if not head.isdigit() or not hmac.compare_digest(_unsubscribe_mac(secret, int(head)), tag):
        raise AuthenticationFailed("this unsubscribe link is not valid", field="token")
    return int(head)


def unsubscribe_url_factory(secret: str, public_base_url: str) -> Callable[[int], str]:
    base = public_base_url.rstrip("/")
    return lambda email_id: f"{base}/unsubscribe/{unsubscribe_token(secret, email_id)}"


def unsubscribe_email(runtime: _Runtime, token: str, *, now: datetime | None = None) -> bool:
    """Opt the address of a signed link out of email; True when it was not opted out before."""
    now = now or datetime.now(UTC)
    email_id = read_unsubscribe_token(runtime.settings.secret_key, token)
    with runtime.uow() as uow:
        repo = uow[InboundRepository]
        ref = repo.email_by_id(email_id)
        if ref is None or ref.opted_out:
            return False
        repo.set_email_flags([ref.id], opted_out=True)
        repo.add_events([_event(ref.customer_id, "electronic_opt_out", now, "email", email_id=ref.id,
                                method="unsubscribe_link")])
        uow.commit()
    return True

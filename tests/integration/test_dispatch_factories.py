"""Factories for the communications tests (no tests here): customers with contact points, debts with a
charge, due outbox rows, written straight to the core tables. Defaults everywhere; `now` passed in.

The default customer is reachable everywhere at NOW (noon in New York): a consenting mobile, an email
the customer gave directly, a home address, an open US debt.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from cupx.adapters.channels.files import FileSink
from cupx.adapters.tables.core import (
    contact_events,
    customer_addresses,
    customer_emails,
    customer_phones,
    customers,
    debts,
    ledger_entries,
    outbox_messages,
)
from cupx.bootstrap import Runtime
from cupx.services.dispatch import DispatchConfig, Dispatcher
from cupx.services.dispatch_ports import ChannelSender
from cupx.services.inbound import unsubscribe_url_factory
from cupx.services.templates import ensure_default_templates

NOW = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)  # Tuesday 12:00 in New York
_serial = itertools.count(1)


class AllowAll:
    """A guard that allows everything (for tests about delivery mechanics, not about rules)."""

    def evaluate(self, context: Any, events: Any, action: Any) -> Any:
        return type("D", (), {"decision": "allowed", "reason_codes": ()})()

    def next_allowed_time(self, context: Any, events: Any, channel: str, after: datetime) -> datetime | None:
        return None


def make_customer(runtime: Runtime, *, language: str = "en", tz: str = "America/New_York", phone: bool = True,
                  email: bool = True, address: bool = True, flags: str = "", now: datetime = NOW,
                  email_domain: str = "example.com") -> int:
    n = next(_serial)
    c = runtime.cipher
    with runtime.engine.begin() as conn:
        cid = int(conn.execute(insert(customers).values(
            external_id=f"CX-{n}-{id(runtime)}", name_enc=c.encrypt(f"Pat Sample{n}"), preferred_language=language,
            flags=flags, tz_candidates=tz, row_hash="x", created_at=now, updated_at=now)).inserted_primary_key[0])
        if phone:
            number = f"+1212555{n % 10_000:04d}"
            conn.execute(insert(customer_phones).values(
                customer_id=cid, number_enc=c.encrypt(number), number_hash=c.lookup_hash(number), area_code="212",
                type="mobile", provenance="consumer_consent", tcpa_consent=True, consent_at=now - timedelta(days=3)))
        if email:
            addr = f"pat{n}@{email_domain}"
            conn.execute(insert(customer_emails).values(
                customer_id=cid, address_enc=c.encrypt(addr), address_hash=c.lookup_hash(addr),
                provenance="consumer_consent"))
        if address:
            conn.execute(insert(customer_addresses).values(
                customer_id=cid, line1_enc=c.encrypt(f"{n} Main St"), city_enc=c.encrypt("New York"), state="NY",
                postal_code="10001", country="US", place="home"))
    return cid


def make_debt(runtime: Runtime, customer_id: int, balance_minor: int = 12_345, *, currency: str = "USD",
              jurisdiction: str = "US", now: datetime = NOW) -> int:
    n = next(_serial)
    with runtime.engine.begin() as conn:
        did = int(conn.execute(insert(debts).values(
            external_id=f"DX-{n}-{id(runtime)}-0042", customer_id=customer_id, creditor="Acme Bank",
            product="credit_card", currency=currency, original_minor=balance_minor, jurisdiction=jurisdiction,
            opened_on=date(2025, 1, 1), status="delinquent", row_hash="x", created_at=now,
            updated_at=now)).inserted_primary_key[0])
        conn.execute(insert(ledger_entries).values(
            debt_id=did, kind="charge", component="principal", amount_minor=balance_minor, currency=currency,
            effective_date=date(2025, 1, 1), posted_at=now))
    return did


def enqueue(runtime: Runtime, customer_id: int, debt_ids: Sequence[int], channel: str = "email", *,
            template_id: str = "reminder", language: str = "en", scheduled_at: datetime = NOW,
            key: str | None = None) -> int:
    key = key or f"test:{next(_serial)}:{customer_id}:{channel}"
    with runtime.engine.begin() as conn:
        return int(conn.execute(insert(outbox_messages).values(
            message_key=key, customer_id=customer_id, debt_ids=json.dumps(list(debt_ids)), channel=channel,
            template_id=template_id, language=language, scheduled_at=scheduled_at, status="pending",
            created_at=scheduled_at, payload="{}")).inserted_primary_key[0])


def seed_many(runtime: Runtime, n: int, channels: Sequence[str] = ("email", "sms"), *, now: datetime = NOW) -> None:
    """`n` customers, one debt and one due message each (channels alternate), in three bulk inserts."""
    c = runtime.cipher
    name = c.encrypt("Pat Bulk")
    with runtime.engine.begin() as conn:
        base = int(conn.execute(select(func.coalesce(func.max(customers.c.id), 0))).scalar() or 0)
        tag = f"{next(_serial)}-{id(runtime)}"
        conn.execute(insert(customers), [{
            "id": base + i + 1, "external_id": f"B-{tag}-{i}", "name_enc": name, "tz_candidates": "America/New_York",
            "row_hash": "x", "created_at": now, "updated_at": now} for i in range(n)])
        conn.execute(insert(customer_phones), [{
            "customer_id": base + i + 1, "number_enc": c.encrypt(f"+1212{i % 10_000_000:07d}"),
            "number_hash": f"h{tag}-{i}", "type": "mobile", "provenance": "consumer_consent", "tcpa_consent": True,
            "consent_at": now - timedelta(days=1)} for i in range(n)])
        conn.execute(insert(customer_emails), [{
            "customer_id": base + i + 1, "address_enc": c.encrypt(f"bulk{i}@example.com"),
            "address_hash": f"e{tag}-{i}", "provenance": "consumer_consent"} for i in range(n)])
        conn.execute(insert(debts), [{
            "id": base + i + 1, "external_id": f"BD-{tag}-{i}", "customer_id": base + i + 1, "creditor": "Acme",
            "product": "credit_card", "currency": "USD", "original_minor": 5_000 + i, "status": "delinquent",
            "row_hash": "x", "created_at": now, "updated_at": now} for i in range(n)])
        conn.execute(insert(outbox_messages), [{
            "message_key": f"bulk:{tag}:{i}", "customer_id": base + i + 1, "debt_ids": json.dumps([base + i + 1]),
            "channel": channels[i % len(channels)], "template_id": "reminder", "language": "en",
            "scheduled_at": now, "status": "pending", "created_at": now, "payload": "{}"} for i in range(n)])


def dispatcher(runtime: Runtime, senders: dict[str, ChannelSender] | None = None, *, guard: Any = None,
               now: datetime = NOW, clock: Callable[[], datetime] | None = None, **config: Any) -> Dispatcher:
    ensure_default_templates(runtime.uow, now)
    sink = runtime.settings.data_dir / "outbox"
    chosen: dict[str, ChannelSender] = {"email": FileSink(sink, "email"), "sms": FileSink(sink, "sms")}
    chosen.update(senders or {})
    cfg = DispatchConfig(unsubscribe_url=unsubscribe_url_factory(runtime.settings.secret_key,
                                                                 runtime.settings.public_base_url), **config)
    return Dispatcher(runtime.uow, chosen, guard if guard is not None else AllowAll(), cfg,
                      clock=clock or (lambda: now), rand=lambda: 0.5)


def statuses(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox_messages.c.status, func.count()).group_by(outbox_messages.c.status))
        return {r[0]: int(r[1]) for r in rows}


def sent_events(runtime: Runtime) -> list[Any]:
    with runtime.engine.connect() as conn:
        return list(conn.execute(select(contact_events).where(contact_events.c.type.in_(
            ("email_sent", "text_sent", "letter_sent"))).order_by(contact_events.c.id)))


def outbox(runtime: Runtime, outbox_id: int) -> Any:
    with runtime.engine.connect() as conn:
        return conn.execute(select(outbox_messages).where(outbox_messages.c.id == outbox_id)).one()

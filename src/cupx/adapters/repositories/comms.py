"""SQL repositories of the communications area: the outbox (claim, bulk loads, outcomes), templates,
and the inbound side (contact points found by keyed hash, opt-outs, bounces, delivery receipts).

Claiming is at most once: on PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED`
inside the claiming UPDATE, so two dispatchers never take the same row; on SQLite the UPDATE holds the
single writer lock. Either way the rows are stamped with a fresh claim token and read back by it.
`finish` records only rows this worker still holds (same token, still `claimed`), and a contact event
carries `external_id = "outbox:<id>"` (unique), so even a late second finisher cannot record a contact
twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.comms import call_tasks, inbound_messages, message_templates, status_literal
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
from cupx.adapters.uow import RuntimeLike
from cupx.comms.rendering import TemplateSource
from cupx.comms.status import OutboxStatus
from cupx.domain.errors import Conflict
from cupx.services.dispatch_ports import (
    ContactPoints,
    DebtFacts,
    OutboxRepository,
    OutboxRow,
    Outcome,
    TemplateRepository,
)
from cupx.services.inbound import ContactRef, InboundRepository

__all__ = ["SqlInboundRepository", "SqlOutboxRepository", "SqlTemplateRepository", "insert_ignoring_duplicates"]

om = outbox_messages


def insert_ignoring_duplicates(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on either database; return the rows inserted."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING counts what went in on both databases (executemany rowcounts are not reliable).
    stmt = dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)
    return len(conn.execute(stmt, list(rows)).all())


def _row(r: Any) -> OutboxRow:
    return OutboxRow(id=r.id, message_key=r.message_key, customer_id=r.customer_id,
                     debt_ids=[int(d) for d in json.loads(r.debt_ids or "[]")], channel=r.channel,
                     template_id=r.template_id, language=r.language or "en", scheduled_at=r.scheduled_at,
                     attempts=r.attempts, claimed_by=r.claimed_by or "", source=r.source,
                     payload=json.loads(r.payload or "{}"))


def _claimable(status: Any, now: datetime, lease: timedelta) -> tuple[Any, Any]:
    """(due, stale): pending and due, or claimed under a lease that has expired."""
    # literal statuses, as the claim indexes' predicates state them (`status_literal`)
    due = and_(status == status_literal(OutboxStatus.PENDING), om.c.scheduled_at <= now,
               or_(om.c.next_attempt_at.is_(None), om.c.next_attempt_at <= now))
    return due, and_(status == status_literal(OutboxStatus.CLAIMED), om.c.claimed_at < now - lease)


@implements(OutboxRepository)
class SqlOutboxRepository(OutboxRepository):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection
        self.cipher = runtime.cipher

    def claim(self, *, worker: str, now: datetime, lease: timedelta, limit: int,
              channels: Sequence[str] | None = None) -> list[OutboxRow]:
        token = f"{worker[:80]}:{uuid.uuid4().hex[:16]}"
        due, stale = _claimable(om.c.status, now, lease)
        # Two index-ordered reads (partial indexes: ix_outbox_messages_claimed, then _due or _due_channel)
        # rather than one over `due OR stale`, which sorted every pending row on each claim: a claim at
        # 100,000 pending rows took a second.
        while True:
            ids = self._candidates(stale, limit, channels)  # a dead dispatcher's rows first: they waited longest
            if len(ids) < limit:
                ids += self._candidates(due, limit - len(ids), channels)
            if not ids:
                return []
            # The UPDATE checks again under the write lock (SQLite) or the row locks taken above
            # (PostgreSQL), so a row another dispatcher claimed since the read is left to it; having lost
            # every row that way is no sign that nothing is due, so read again. `coalesce(status)` keeps
            # SQLite on the primary key (without statistics it would walk the status indexes for the OR).
            claimable = or_(*_claimable(func.coalesce(om.c.status, ""), now, lease))
            won = self.conn.execute(update(om).where(om.c.id.in_(ids), claimable).values(
                status=OutboxStatus.CLAIMED, claimed_by=token, claimed_at=now, attempts=om.c.attempts + 1)).rowcount
            if won:
                break
        rows = self.conn.execute(select(om).where(om.c.id.in_(ids), om.c.claimed_by == token,
                                           om.c.status == OutboxStatus.CLAIMED).order_by(om.c.id)).all()
        return [_row(r) for r in rows]

    def _candidates(self, where: Any, limit: int, channels: Sequence[str] | None) -> list[int]:
        candidates = select(om.c.id).where(where)
        if channels:
            candidates = candidates.where(om.c.channel.in_(list(channels)))
        candidates = candidates.order_by(om.c.scheduled_at, om.c.id).limit(limit)
        if self.conn.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        return [r.id for r in self.conn.execute(candidates)]

    def contact_points(self, customer_ids: Sequence[int]) -> dict[int, ContactPoints]:
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        dec, dec_opt = self.cipher.decrypt, self.cipher.decrypt_optional
        out: dict[int, ContactPoints] = {}
        for c in self.conn.execute(select(customers).where(customers.c.id.in_(ids))):
            out[c.id] = ContactPoints(
                customer_id=c.id, name=dec(c.name_enc), language=c.preferred_language or "en",
                flags=[f for f in (c.flags or "").split(",") if f],
                tz_candidates=[z for z in (c.tz_candidates or "").split(",") if z], stated_tz=c.stated_tz,
                phones=[], emails=[], addresses=[])
        for p in self.conn.execute(select(customer_phones).where(customer_phones.c.customer_id.in_(ids))
                                   .order_by(customer_phones.c.id)):
            out[p.customer_id].phones.append({
                "id": p.id, "number": dec(p.number_enc), "type": p.type, "provenance": p.provenance,
                "tcpa_consent": p.tcpa_consent, "consent_at": p.consent_at, "opted_out": p.opted_out,
                "wrong_number": p.wrong_number})
        for e in self.conn.execute(select(customer_emails).where(customer_emails.c.customer_id.in_(ids))
                                   .order_by(customer_emails.c.id)):
            out[e.customer_id].emails.append({
                "id": e.id, "address": dec(e.address_enc), "provenance": e.provenance, "opted_out": e.opted_out,
                "bounced": e.bounced, "domain_public": e.domain_public,
                "employer_provided_known": e.employer_provided_known})
        for a in self.conn.execute(select(customer_addresses).where(customer_addresses.c.customer_id.in_(ids))
                                   .order_by(customer_addresses.c.id)):
            out[a.customer_id].addresses.append({
                "id": a.id, "line1": dec(a.line1_enc), "line2": dec_opt(a.line2_enc) or "", "city": dec(a.city_enc),
                "state": a.state, "postal_code": a.postal_code, "country": a.country, "place": a.place,
                "undeliverable": a.undeliverable})
        return out

    def debts(self, debt_ids: Sequence[int]) -> dict[int, DebtFacts]:
        ids = sorted(set(debt_ids))
        if not ids:
            return {}
        le, target = ledger_entries, ledger_entries.alias("target")
        signed_target = case((target.c.kind.in_(("payment", "write_off")), -target.c.amount_minor),
                             else_=target.c.amount_minor)
        amount = le.c.amount_minor

        def total(*kinds: str) -> Any:
            return func.coalesce(func.sum(case((le.c.kind.in_(kinds), amount), else_=0)), 0)

        sums = select(
            le.c.debt_id, total("charge").label("charges"), total("interest").label("interest"),
            total("fee").label("fees"), total("payment", "write_off").label("credits"),
            total("adjustment").label("adjust"),
            func.coalesce(func.sum(case((le.c.kind == "reversal", -signed_target), else_=0)), 0).label("reversed"),
        ).select_from(le.outerjoin(target, le.c.reverses_id == target.c.id)).where(
            le.c.debt_id.in_(ids)).group_by(le.c.debt_id)
        by_debt = {r.debt_id: r for r in self.conn.execute(sums)}
        out: dict[int, DebtFacts] = {}
        for d in self.conn.execute(select(debts).where(debts.c.id.in_(ids))):
            s = by_debt.get(d.id)
            charges, interest, fees, credits = (int(s.charges), int(s.interest), int(s.fees), int(s.credits)) \
                if s else (0, 0, 0, 0)
            balance = charges + interest + fees - credits + (int(s.adjust) + int(s.reversed) if s else 0)
            out[d.id] = DebtFacts(
                id=d.id, external_id=d.external_id, creditor=d.creditor, product=d.product, currency=d.currency,
                jurisdiction=d.jurisdiction, status=d.status, original_minor=d.original_minor,
                balance_minor=balance if s else d.original_minor, charges_minor=charges, interest_minor=interest,
                fees_minor=fees, credits_minor=credits, charge_off_date=d.charge_off_date, opened_on=d.opened_on,
                sol_date=d.sol_date, customer_id=d.customer_id)
        return out

    def events(self, customer_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        ids = sorted(set(customer_ids))
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if not ids:
            return out
        ce = contact_events
        q = select(ce.c.customer_id, ce.c.type, ce.c.channel, ce.c.at, ce.c.outcome, ce.c.debt_ids, ce.c.payload) \
            .where(ce.c.customer_id.in_(ids)).order_by(ce.c.at, ce.c.id)
        for r in self.conn.execute(q):
            event: dict[str, Any] = json.loads(r.payload or "{}")
            event.update(type=r.type, at=r.at.isoformat(), person=str(r.customer_id),
                         debt_ids=[str(d) for d in json.loads(r.debt_ids or "[]")])
            if r.channel:
                event.setdefault("channel", r.channel)
            if r.outcome:
                event.setdefault("outcome", r.outcome)
            out[r.customer_id].append(event)
        return out

    def finish(self, outcomes: Sequence[Outcome], now: datetime) -> int:
        if not outcomes:
            return 0
        tokens = {o.row.id: o.row.claimed_by for o in outcomes}
        held_q = select(om.c.id, om.c.claimed_by).where(om.c.id.in_(list(tokens)), om.c.status == OutboxStatus.CLAIMED)
        if self.conn.dialect.name == "postgresql":
            held_q = held_q.with_for_update()
        held = {r.id for r in self.conn.execute(held_q) if r.claimed_by == tokens[r.id]}
        mine = [o for o in outcomes if o.row.id in held]
        if not mine:
            return 0
        self.conn.execute(
            update(om).where(om.c.id == bindparam("b_id")).values(
                status=bindparam("b_status"), provider_id=bindparam("b_provider"), last_error=bindparam("b_error"),
                sent_at=bindparam("b_sent"), next_attempt_at=bindparam("b_next"), scheduled_at=bindparam("b_sched"),
                claimed_by=bindparam("b_claimed")),
            [{"b_id": o.row.id, "b_status": str(o.status), "b_provider": o.provider_id,
              "b_error": o.error[:1000] if o.error else None,
              "b_sent": now if o.status == OutboxStatus.SENT else None, "b_next": o.next_attempt_at,
              "b_sched": o.scheduled_at or o.row.scheduled_at,
              "b_claimed": None if o.status == OutboxStatus.PENDING else o.row.claimed_by} for o in mine])
        events = [self._event_row(o, now) for o in mine if o.contact_event is not None]
        events += [self._validation_row(o, now) for o in mine if o.contact_event and o.contact_event.get("validation")]
        insert_ignoring_duplicates(self.conn, contact_events, events)
        tasks = [self._task_row(o, now) for o in mine if o.call_task is not None]
        insert_ignoring_duplicates(self.conn, call_tasks, tasks)
        return len(mine)

    @staticmethod
    def _event_row(o: Outcome, now: datetime) -> dict[str, Any]:
        ev = o.contact_event or {}
        return {"external_id": f"outbox:{o.row.id}", "customer_id": o.row.customer_id,
                "debt_id": o.row.debt_ids[0] if o.row.debt_ids else None, "debt_ids": json.dumps(o.row.debt_ids),
                "type": ev["type"], "channel": ev.get("channel"), "at": now, "outcome": ev.get("outcome", "sent"),
                "right_party": False, "payload": json.dumps(ev.get("payload", {}), default=str)}

    @staticmethod
    def _validation_row(o: Outcome, now: datetime) -> dict[str, Any]:
        """The `validation_notice` event (RULES.md 6.2) that starts the validation-period clocks."""
        v = (o.contact_event or {})["validation"]
        return {"external_id": f"outbox:{o.row.id}:validation", "customer_id": o.row.customer_id,
                "debt_id": o.row.debt_ids[0] if o.row.debt_ids else None, "debt_ids": json.dumps(o.row.debt_ids),
                "type": "validation_notice", "channel": o.row.channel, "at": now, "outcome": None,
                "right_party": False, "payload": json.dumps(v)}

    @staticmethod
    def _task_row(o: Outcome, now: datetime) -> dict[str, Any]:
        t = o.call_task or {}
        return {"outbox_id": o.row.id, "customer_id": o.row.customer_id, "debt_ids": json.dumps(o.row.debt_ids),
                "kind": t.get("kind", "call"), "status": "open", "script": t.get("script", ""),
                "template_id": t.get("template_id"), "template_version": t.get("template_version"),
                "due_at": t.get("due_at") or now, "created_at": now}

    def unreachable(self, points: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        phones = [i for kind, i in points if kind == "sms"]
        emails = [i for kind, i in points if kind == "email"]
        out: set[tuple[str, int]] = set()
        p, e = customer_phones, customer_emails
        if phones:
            q = select(p.c.id).where(p.c.id.in_(phones), or_(p.c.opted_out.is_(True), p.c.wrong_number.is_(True)))
            out |= {("sms", r.id) for r in self.conn.execute(q)}
        if emails:
            q = select(e.c.id).where(e.c.id.in_(emails), or_(e.c.opted_out.is_(True), e.c.bounced.is_(True)))
            out |= {("email", r.id) for r in self.conn.execute(q)}
        return out

    def enqueue(self, rows: Sequence[dict[str, Any]]) -> int:
        full = [{"debt_ids": "[]", "language": "en", "status": OutboxStatus.PENDING, "attempts": 0, "payload": "{}",
                 "source": "cycle", **r} for r in rows]
        for r in full:
            for k in ("debt_ids", "payload"):
                if not isinstance(r[k], str):
                    r[k] = json.dumps(r[k], default=str)
        return insert_ignoring_duplicates(self.conn, om, full)


def _template(r: Any) -> TemplateSource:
    return TemplateSource(template_id=r.template_id, channel=r.channel, language=r.language, body=r.body,
                          subject=r.subject, version=r.version, purpose=r.purpose,
                          jurisdictions=tuple(j for j in r.jurisdictions.split(",") if j),
                          flags=tuple(f for f in r.flags.split(",") if f))


@implements(TemplateRepository)
class SqlTemplateRepository(TemplateRepository):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def latest(self) -> dict[tuple[str, str, str], TemplateSource]:
        out: dict[tuple[str, str, str], TemplateSource] = {}
        for r in self.conn.execute(select(message_templates).order_by(message_templates.c.version)):
            out[(r.template_id, r.channel, r.language)] = _template(r)
        return out

    def versions(self, template_id: str, channel: str, language: str) -> list[TemplateSource]:
        mt = message_templates
        q = select(mt).where(mt.c.template_id == template_id, mt.c.channel == channel, mt.c.language == language)
        return [_template(r) for r in self.conn.execute(q.order_by(mt.c.version))]

    def add(self, template: TemplateSource, *, created_by: str, now: datetime) -> TemplateSource:
        mt = message_templates
        current = self.conn.execute(select(func.max(mt.c.version)).where(
            mt.c.template_id == template.template_id, mt.c.channel == template.channel,
            mt.c.language == template.language)).scalar()
        version = int(current or 0) + 1
        try:
            with self.conn.begin_nested():
                self.conn.execute(mt.insert().values(
                    template_id=template.template_id, channel=template.channel, language=template.language,
                    version=version, purpose=template.purpose, jurisdictions=",".join(template.jurisdictions),
                    flags=",".join(template.flags), subject=template.subject, body=template.body,
                    created_at=now, created_by=created_by))
        except IntegrityError:
            raise Conflict(f"template {template.template_id} was saved concurrently; retry",
                           field="template_id") from None
        return TemplateSource(template.template_id, template.channel, template.language, template.body,
                              template.subject, version, template.purpose, template.jurisdictions, template.flags)


@implements(InboundRepository)
class SqlInboundRepository(InboundRepository):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def record_inbound(self, row: dict[str, Any]) -> bool:
        return insert_ignoring_duplicates(self.conn, inbound_messages, [row]) == 1

    def phones_by_hash(self, number_hash: str) -> list[ContactRef]:
        p, c = customer_phones, customers
        q = select(p.c.id, p.c.customer_id, p.c.opted_out, c.c.preferred_language).join(
            c, c.c.id == p.c.customer_id).where(p.c.number_hash == number_hash).order_by(p.c.id)
        rows = self.conn.execute(q)
        return [ContactRef(r.id, r.customer_id, r.opted_out, r.preferred_language or "en") for r in rows]

    def emails_by_hash(self, address_hash: str) -> list[ContactRef]:
        e = customer_emails
        q = select(e.c.id, e.c.customer_id, e.c.opted_out).where(e.c.address_hash == address_hash).order_by(e.c.id)
        return [ContactRef(r.id, r.customer_id, r.opted_out) for r in self.conn.execute(q)]

    def email_by_id(self, email_id: int) -> ContactRef | None:
        e = customer_emails
        r = self.conn.execute(select(e.c.id, e.c.customer_id, e.c.opted_out).where(e.c.id == email_id)).first()
        return ContactRef(r.id, r.customer_id, r.opted_out) if r else None

    def set_phone_flags(self, phone_ids: Sequence[int], *, opted_out: bool | None = None,
                        wrong_number: bool | None = None) -> None:
        values = {k: v for k, v in (("opted_out", opted_out), ("wrong_number", wrong_number)) if v is not None}
        if phone_ids and values:
            self.conn.execute(update(customer_phones).where(customer_phones.c.id.in_(list(phone_ids))).values(**values))

    def set_email_flags(self, email_ids: Sequence[int], *, opted_out: bool | None = None,
                        bounced: bool | None = None) -> None:
        values = {k: v for k, v in (("opted_out", opted_out), ("bounced", bounced)) if v is not None}
        if email_ids and values:
            self.conn.execute(update(customer_emails).where(customer_emails.c.id.in_(list(email_ids))).values(**values))

    def add_events(self, events: Sequence[dict[str, Any]]) -> None:
        rows = [{"customer_id": e["customer_id"], "type": e["type"], "channel": e.get("channel"), "at": e["at"],
                 "debt_ids": json.dumps(e.get("debt_ids", [])), "right_party": True,
                 "payload": json.dumps(e.get("payload", {}), default=str)} for e in events]
        if rows:
            self.conn.execute(contact_events.insert(), rows)

    def open_debt_ids(self, customer_id: int) -> list[int]:
        closed = ("resolved_paid", "resolved_settled", "written_off", "closed")
        q = select(debts.c.id).where(debts.c.customer_id == customer_id, debts.c.status.not_in(closed))
        return [r.id for r in self.conn.execute(q.order_by(debts.c.id))]

    def sent_message(self, provider_id: str) -> dict[str, Any] | None:
        r = self.conn.execute(select(om.c.id, om.c.customer_id, om.c.channel, om.c.status, om.c.payload)
                              .where(om.c.provider_id == provider_id)).first()
        if r is None:
            return None
        event = self.conn.execute(select(contact_events.c.payload).where(
            contact_events.c.external_id == f"outbox:{r.id}")).first()
        sent = json.loads(event.payload) if event else {}
        return {"id": r.id, "customer_id": r.customer_id, "channel": r.channel, "status": r.status,
                "payload": json.loads(r.payload or "{}"), "phone_id": sent.get("phone_id"),
                "email_id": sent.get("email_id")}

    def set_outbox_status(self, outbox_id: int, status: OutboxStatus, error: str | None) -> None:
        values: dict[str, Any] = {"status": str(status)}
        if error:
            values["last_error"] = error[:1000]
        self.conn.execute(update(om).where(om.c.id == outbox_id).values(**values))

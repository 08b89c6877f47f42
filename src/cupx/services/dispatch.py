"""The outbox dispatcher (contract C6): claim due rows, ask the guard again, render, send, record.

One batch (`Dispatcher.run_once`):
1. claim up to `batch_size` due rows under a lease and commit (at most once across dispatchers, see
   `cupx.adapters.repositories.comms`);
2. load customers, debts, contact history and templates for the whole batch in a few queries;
3. per row: pick the contact point, render (required content checked), ask the guard with the
   rendered content flags; a block made only of time-of-day codes re-schedules the row to the
   customer's next allowed time, any other block records the reason codes;
4. send per channel (rate-limited when configured), `record_every` messages at a time, and record
   each chunk at once: status, provider id, a `contact_events` row per contact made, call tasks.
Transient failures return the row to `pending` with exponential backoff and jitter until
`max_attempts`; permanent ones are `failed` with the provider's reason. A dispatcher that dies holds
its rows only until the lease expires; whoever reclaims them re-sends with the same provider key.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cupx.comms.defaults import default_templates
from cupx.comms.rendering import RequiredContentMissing, locale_for, render
from cupx.comms.required import Element
from cupx.comms.retry import TokenBucket, backoff_delay
from cupx.comms.status import OutboxStatus
from cupx.domain.errors import Conflict, ValidationError
from cupx.services.audit import append_records
from cupx.services.dispatch_audit import audit_record
from cupx.services.dispatch_config import DispatchConfig, DispatchReport, fill_from_settings
from cupx.services.dispatch_guard import (
    TIME_CODES,
    ComplianceGuard,
    Guard,
    guard_action,
    guard_context,
    guard_events,
    is_initial_communication,
)
from cupx.services.dispatch_ports import (
    ChannelSender,
    ContactPoints,
    DebtFacts,
    OutboxRepository,
    OutboxRow,
    Outcome,
    OutgoingMessage,
    SendError,
    TemplateRepository,
)
from cupx.services.dispatch_render import choose_target, postal_block, resolve_template, template_data
from cupx.services.uow import UnitOfWork

__all__ = ["DispatchConfig", "DispatchReport", "Dispatcher", "Prepared"]

log = logging.getLogger(__name__)
S = OutboxStatus
EVENT_TYPE = {"sms": "text_sent", "email": "email_sent", "letter": "letter_sent"}
# What an opt-out confirmation may go out despite (R-08 exception 1, C-20): the opt-out itself.
_CONFIRMATION_EXEMPT = frozenset({"REGF_PROHIBITED_MEDIUM", "TCPA_CONSENT_REVOKED", "REGF_TEXT_NO_PROCEDURE",
                                  "REGF_DISCLOSURE_MISSING", "REGF_OPT_OUT_NOTICE_MISSING",
                                  "REGF_EMAIL_NO_PROCEDURE", "TCPA_NO_CONSENT"})
_MISSING_CODE = {str(Element.OPT_OUT_INSTRUCTION): "REGF_OPT_OUT_NOTICE_MISSING",
                 str(Element.DEBT_COLLECTOR_DISCLOSURE): "REGF_DISCLOSURE_MISSING"}


@dataclass
class Batch:
    contact_points: dict[int, ContactPoints]
    debts: dict[int, DebtFacts]
    events: dict[int, list[dict[str, Any]]]
    templates: dict[tuple[str, str, str], Any]


@dataclass
class Prepared:
    row: OutboxRow
    message: OutgoingMessage
    event: dict[str, Any] | None
    audit: Any = None  # the send-time guard evaluation's audit record


class Dispatcher:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], senders: Mapping[str, ChannelSender],
                 guard: Guard | None = None, config: DispatchConfig | None = None, *,
                 clock: Callable[[], datetime] | None = None, worker: str | None = None,
                 rand: Callable[[], float] = random.random) -> None:
        self.uow_factory = uow_factory
        self.senders = dict(senders)
        self.guard = guard or ComplianceGuard()
        self.config = config or DispatchConfig()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.rand = rand
        self._buckets = {ch: TokenBucket(rate) for ch, rate in self.config.rate_limits.items() if rate > 0}
        self._defaults_loaded = False
        self._pipeline = ThreadPoolExecutor(1, thread_name_prefix="dispatch-send")
        fill_from_settings(self.config, getattr(uow_factory, "__self__", None))

    def run(self, *, max_batches: int | None = None, now: datetime | None = None) -> DispatchReport:
        """Dispatch batches until nothing is due (or `max_batches`)."""
        total = DispatchReport()
        batches = 0
        while max_batches is None or batches < max_batches:
            report = self.run_once(now)
            total.add(report)
            batches += 1
            if report.claimed == 0:
                break
        return total

    def run_once(self, now: datetime | None = None) -> DispatchReport:
        now = now or self.clock()
        report = DispatchReport()
        with self.uow_factory() as uow:
            rows = uow[OutboxRepository].claim(worker=self.worker, now=now, lease=self.config.lease,
                                               limit=self.config.batch_size, channels=self.config.channels)
            uow.commit()
        report.claimed = len(rows)
        if not rows:
            return report
        batch = self.load(rows)
        step = max(1, self.config.record_every)
        in_flight: Future[list[Outcome]] | None = None
        # Pipelined: chunk k is sent on the sender thread while chunk k+1 is rendered and checked here,
        # so the network waits of one overlap the CPU work of the other; chunks are recorded in order.
        for i in range(0, len(rows), step):
            prepared: list[Prepared] = []
            settled: list[Outcome] = []
            for row in rows[i:i + step]:
                item = self.prepare(row, batch, now)
                (prepared if isinstance(item, Prepared) else settled).append(item)  # type: ignore[arg-type]
            if in_flight is not None:
                self._record(in_flight.result(), now, report)
            self._record(settled, now, report)
            in_flight = self._pipeline.submit(self._send, prepared, now) if prepared else None
        if in_flight is not None:
            self._record(in_flight.result(), now, report)
        return report

    def load(self, rows: Sequence[OutboxRow]) -> Batch:
        customer_ids = [r.customer_id for r in rows]
        with self.uow_factory() as uow:
            repo = uow[OutboxRepository]
            batch = Batch(repo.contact_points(customer_ids), repo.debts([d for r in rows for d in r.debt_ids]),
                          repo.events(customer_ids), uow[TemplateRepository].latest())
            if not self._defaults_loaded:
                self._load_defaults(uow, batch.templates)
            return batch

    def _load_defaults(self, uow: UnitOfWork, templates: dict[tuple[str, str, str], Any]) -> None:
        """Store the shipped templates that have no version yet (once per process): a fresh install sends."""
        repo = uow[TemplateRepository]
        for t in default_templates():
            key = (t.template_id, t.channel, t.language)
            if key not in templates:
                try:
                    templates[key] = repo.add(t, created_by="system", now=self.clock())
                except Conflict:  # another dispatcher stored it a moment ago: same text, version 1
                    templates[key] = t
        uow.commit()
        self._defaults_loaded = True

    def _record(self, outcomes: Sequence[Outcome], now: datetime, report: DispatchReport) -> None:
        if not outcomes:
            return
        records = [o.audit for o in outcomes if o.audit is not None]
        with self.uow_factory() as uow:
            report.recorded += uow[OutboxRepository].finish(outcomes, now)
            if records:  # last, so the chain lock is held only until this commit (no lock-order cycle)
                append_records(uow, records)
            uow.commit()
        for o in outcomes:
            report.count(o)

    # -- per row -----------------------------------------------------------------------------------------

    def prepare(self, row: OutboxRow, b: Batch, now: datetime) -> Prepared | Outcome:
        if row.attempts > 2 * self.config.max_attempts:
            # Claimed again and again without ever being recorded: something about this row stops every
            # dispatcher that takes it. Park it for a person instead of taking dispatchers down in turn.
            return Outcome(row, S.FAILED, error=f"abandoned: claimed {row.attempts} times without finishing")
        if row.channel == "agency":
            msg = OutgoingMessage(self._key(row), "agency", to=str(row.customer_id), body=str(row.payload),
                                  meta={"outbox_id": row.id, "customer_id": row.customer_id})
            return Prepared(row, msg, None)
        cp = b.contact_points.get(row.customer_id)
        if cp is None:
            return Outcome(row, S.FAILED, error=f"customer {row.customer_id} not found")
        if row.channel in ("call_task", "review"):
            return self._task(row, cp, b, now)
        target = choose_target(cp, row.channel, row.payload)
        if target is None:
            return Outcome(row, S.BLOCKED, error=f"NO_CONTACT_POINT: no usable {row.channel} contact point")
        debts = [b.debts[d] for d in row.debt_ids if d in b.debts]
        jurisdiction = debts[0].jurisdiction if debts else "US"
        template = resolve_template(b.templates, row.template_id, row.channel, row.language or cp.language)
        if template is None:
            return Outcome(row, S.FAILED, error=f"no template {row.template_id!r} for channel {row.channel}")
        events = b.events.get(row.customer_id, [])
        locale = locale_for(template.language, jurisdiction)
        unsubscribe = self._unsubscribe(row, target)
        validation = template.purpose == "validation_notice"
        today = _local_today(cp, now)
        end = self._validation_end(today, row.channel) if validation else None
        data = template_data(cp, debts, self.config.brand, today=today, locale=locale, unsubscribe_url=unsubscribe,
                             with_validation=validation, validation_end=end)
        kind = "initial" if is_initial_communication(events) else "subsequent"
        try:
            rendered = render(template, data, jurisdiction=jurisdiction, disclosure_kind=kind, locale=locale)
        except RequiredContentMissing as exc:
            return Outcome(row, S.BLOCKED, error=f"{_MISSING_CODE.get(exc.field or '', exc.field)}: {exc.message}")
        except ValidationError as exc:
            return Outcome(row, S.FAILED, error=f"template: {exc}")
        verdict, audit = self._ask_guard(row, cp, debts, events, target, rendered.content, now)
        if verdict is not None:
            verdict.audit = audit
            return verdict
        event = self._event(row, target, template, rendered.content)
        if end is not None:  # the guard's clocks start from this record
            event["validation"] = {"provided_on": today.isoformat(), "stated_end_date": end.isoformat(),
                                   "medium": "mail" if row.channel == "letter" else "electronic"}
        return Prepared(row, self._message(row, cp, target, rendered, template, unsubscribe, now), event, audit)

    def _validation_end(self, provided_on: date, channel: str) -> date | None:
        """The validation-period end the guard computes (R-12), or None to fall back to a later date."""
        action = {"type": "compute_validation_period", "provided_on": provided_on.isoformat(),
                  "medium": "mail" if channel == "letter" else "electronic"}
        try:
            end = self.guard.evaluate({"collector_role": "fdcpa_debt_collector"}, [], action).computed[
                "validation_period_end"]
            return date.fromisoformat(str(end))
        except Exception:  # a later end date is always lawful: template_data falls back to one
            return None

    def _ask_guard(self, row: OutboxRow, cp: ContactPoints, debts: Sequence[DebtFacts],
                   events: Sequence[Mapping[str, Any]], target: Mapping[str, Any], content: Mapping[str, Any],
                   now: datetime) -> tuple[Outcome | None, Any]:
        """(None, record) to send, or (outcome, record) for a block or a re-schedule; the record is None
        only when the guard could not answer (nothing was evaluated)."""
        ctx = guard_context(cp, debts, events, now)
        evs = guard_events(events, cp)
        action = guard_action(row.channel, now, cp.customer_id, target, row.debt_ids, content,
                              reply=bool(row.payload.get("in_reply_to")))
        try:
            decision = self.guard.evaluate(ctx, evs, action)
            codes = set(decision.reason_codes) if decision.decision == "blocked" else set()
            waived = codes & _CONFIRMATION_EXEMPT if content.get("only_confirmation") else set()
            codes -= waived
            audit = audit_record(outbox_id=row.id, attempt=row.attempts, customer_id=row.customer_id, action=action,
                                 answer=decision, events=evs, now=now, exempted=sorted(waived))
            if not codes:
                return None, audit
            if codes <= TIME_CODES:
                probe = {k: v for k, v in action.items() if k not in ("at", "mail_on")}
                later = self.guard.next_allowed_time(ctx, evs, probe, now)
                if later is not None and later > now:
                    return Outcome(row, S.PENDING, scheduled_at=later,
                                   error="rescheduled: " + ",".join(sorted(codes))), audit
        except Exception as exc:  # a guard that cannot answer must not let a message out: retry later
            log.warning("guard failed on outbox row %s: %s", row.id, type(exc).__name__)
            return self._failure(row, SendError(f"guard error: {exc}"), now), None
        return Outcome(row, S.BLOCKED, error="guard: " + ",".join(sorted(codes))), audit

    def _task(self, row: OutboxRow, cp: ContactPoints, b: Batch, now: datetime) -> Outcome:
        debts = [b.debts[d] for d in row.debt_ids if d in b.debts]
        jurisdiction = debts[0].jurisdiction if debts else "US"
        template = resolve_template(b.templates, row.template_id, "call_task", row.language or cp.language)
        script, version = str(row.payload.get("reason") or ""), None
        if template is not None and row.channel == "call_task":
            locale = locale_for(template.language, jurisdiction)
            data = template_data(cp, debts, self.config.brand, today=_local_today(cp, now), locale=locale,
                                 with_validation=False)
            try:
                script = render(template, data, jurisdiction=jurisdiction, locale=locale,
                                disclosure_kind="initial" if is_initial_communication(
                                    b.events.get(row.customer_id, [])) else "subsequent").body
            except ValidationError as exc:
                return Outcome(row, S.FAILED, error=f"template: {exc}")
            version = template.version
        task = {"kind": "review" if row.channel == "review" else "call", "script": script,
                "due_at": max(row.scheduled_at, now), "template_id": row.template_id, "template_version": version}
        return Outcome(row, S.SENT, provider_id=f"task:{row.id}", call_task=task)

    def _key(self, row: OutboxRow) -> str:
        return f"{self.config.tenant}:{row.message_key}"

    def _unsubscribe(self, row: OutboxRow, target: Mapping[str, Any]) -> str:
        if row.channel != "email" or self.config.unsubscribe_url is None:
            return ""
        return self.config.unsubscribe_url(int(target["id"]))

    def _message(self, row: OutboxRow, cp: ContactPoints, target: Mapping[str, Any], rendered: Any,
                 template: Any, unsubscribe: str, now: datetime) -> OutgoingMessage:
        to = {"sms": lambda: target["number"], "email": lambda: target["address"],
              "letter": lambda: postal_block(cp.name, target)}[row.channel]()
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} \
            if unsubscribe else {}
        meta = {"outbox_id": row.id, "customer_id": row.customer_id, "template_id": template.template_id,
                "template_version": template.version, "batch_date": now.date().isoformat(), "point_id": target["id"]}
        return OutgoingMessage(self._key(row), row.channel, to=to, body=rendered.body, subject=rendered.subject,
                               headers=headers, meta=meta)

    @staticmethod
    def _event(row: OutboxRow, target: Mapping[str, Any], template: Any, content: Mapping[str, Any]) -> dict[str, Any]:
        point = {"sms": "phone_id", "email": "email_id", "letter": "address_id"}[row.channel]
        payload = {point: target["id"], "outbox_id": row.id, "template_id": template.template_id,
                   "template_version": template.version, "content": dict(content),
                   "in_reply_to_consumer_contact": bool(row.payload.get("in_reply_to"))}
        if row.channel == "letter":
            payload["mailed_on"] = None  # set by the print house; letter_sent marks the hand-over
        return {"type": EVENT_TYPE[row.channel], "channel": row.channel, "payload": payload}

    # -- sending ----------------------------------------------------------------------------------------

    def _send(self, items: Sequence[Prepared], now: datetime) -> list[Outcome]:
        by_channel: dict[str, list[Prepared]] = defaultdict(list)
        for p in items:
            by_channel[p.row.channel].append(p)
        outcomes: list[Outcome] = []
        for channel, group in by_channel.items():
            sender = self.senders.get(channel)
            if sender is None:
                outcomes += [self._failure(p.row, SendError(f"no sender for channel {channel}"), now) for p in group]
                continue
            group, stopped = self._still_reachable(group, now)
            outcomes += stopped
            results = self._send_limited(sender, channel, [p.message for p in group])
            for p, res in zip(group, results, strict=True):
                if isinstance(res, SendError):
                    outcomes.append(self._failure(p.row, res, now))
                else:
                    outcomes.append(Outcome(p.row, S.SENT, provider_id=res, contact_event=p.event))
        audits = {p.row.id: p.audit for p in items}
        for o in outcomes:  # the evaluation is recorded whatever happened at the provider
            o.audit = audits.get(o.row.id)
        return outcomes

    def _still_reachable(self, group: list[Prepared], now: datetime) -> tuple[list[Prepared], list[Outcome]]:
        """Re-read opt-outs just before sending: a STOP or unsubscribe committed after this batch was
        loaded must still win (C6). Replies to an opt-out (the one confirmation) are exempt."""
        points = {(p.row.channel, int(p.message.meta["point_id"])) for p in group
                  if p.row.channel in ("sms", "email") and "to_phone_id" not in p.row.payload}
        if not points:
            return group, []
        with self.uow_factory() as uow:
            gone = uow[OutboxRepository].unreachable(sorted(points))
        if not gone:
            return group, []
        keep = [p for p in group if (p.row.channel, p.message.meta.get("point_id")) not in gone
                or "to_phone_id" in p.row.payload]
        stopped = [Outcome(p.row, S.BLOCKED, error="REGF_PROHIBITED_MEDIUM: opted out before sending")
                   for p in group if p not in keep]
        return keep, stopped

    def _send_limited(self, sender: ChannelSender, channel: str,
                      messages: Sequence[OutgoingMessage]) -> list[str | SendError]:
        bucket = self._buckets.get(channel)
        if bucket is None:
            return sender.send_many(messages)
        out: list[str | SendError] = []
        for m in messages:
            wait = bucket.take(time.monotonic())
            if wait > 0:
                time.sleep(wait)  # the provider's contracted rate: waiting is the point
            out += sender.send_many([m])
        return out

    def _failure(self, row: OutboxRow, exc: SendError, now: datetime) -> Outcome:
        if exc.transient and row.attempts < self.config.max_attempts:
            delay = backoff_delay(row.attempts, base_s=self.config.backoff_base_s, cap_s=self.config.backoff_cap_s,
                                  rand=self.rand())
            return Outcome(row, S.PENDING, error=exc.reason, next_attempt_at=now + delay)
        prefix = "retries exhausted: " if exc.transient else ""
        return Outcome(row, S.FAILED, error=prefix + exc.reason)

    def close(self) -> None:
        self._pipeline.shutdown(wait=True)
        for sender in self.senders.values():
            sender.close()


def _local_today(cp: ContactPoints, now: datetime) -> Any:
    zone = cp.stated_tz or (cp.tz_candidates[0] if cp.tz_candidates else "UTC")
    try:
        return now.astimezone(ZoneInfo(zone)).date()
    except (KeyError, ValueError):
        return now.date()

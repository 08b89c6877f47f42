"""The dispatcher's decisions with fakes for storage, guard and channel (no database): what is sent,
blocked, re-scheduled, retried with backoff, or failed with the provider's reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cupx.comms.defaults import default_templates
from cupx.comms.rendering import TemplateSource, sample_data
from cupx.comms.status import OutboxStatus
from cupx.compliance.audit import GENESIS
from cupx.services.audit import AuditRepository
from cupx.services.dispatch import DispatchConfig, Dispatcher
from cupx.services.dispatch_ports import (
    ChannelSender,
    ContactPoints,
    DebtFacts,
    OutboxRepository,
    OutboxRow,
    Outcome,
    OutgoingMessage,
    PermanentSendError,
    TemplateRepository,
    TransientSendError,
)
from cupx.services.dispatch_render import Branding, template_data
from cupx.services.uow import UnitOfWork

NOW = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


class FakeOutbox(OutboxRepository):
    def __init__(self, rows: list[OutboxRow]) -> None:
        self.rows = {r.id: r for r in rows}
        self.status = {r.id: "pending" for r in rows}
        self.outcomes: dict[int, Outcome] = {}
        self.gone: set[tuple[str, int]] = set()

    def claim(self, *, worker: str, now: datetime, lease: timedelta, limit: int,
              channels: Sequence[str] | None = None) -> list[OutboxRow]:
        due = [r for r in self.rows.values() if self.status[r.id] == "pending" and r.scheduled_at <= now
               and (r.id not in self.outcomes or (self.outcomes[r.id].next_attempt_at or now) <= now)][:limit]
        for r in due:
            self.status[r.id] = "claimed"
            r.attempts += 1
            r.claimed_by = worker
        return due

    def contact_points(self, customer_ids: Sequence[int]) -> dict[int, ContactPoints]:
        phone = {"id": 1, "number": "+12125550100", "type": "mobile", "provenance": "consumer_consent",
                 "tcpa_consent": True, "consent_at": NOW, "opted_out": False, "wrong_number": False}
        return {i: ContactPoints(i, "Pat Fake", "en", [], ["America/New_York"], None, [phone], [], [])
                for i in customer_ids}

    def debts(self, debt_ids: Sequence[int]) -> dict[int, DebtFacts]:
        return {i: DebtFacts(i, f"EXT{i:06d}", "Acme", "credit_card", "USD", "US", "delinquent", 5000, 4321)
                for i in debt_ids}

    def events(self, customer_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        return {i: [] for i in customer_ids}

    def finish(self, outcomes: Sequence[Outcome], now: datetime) -> int:
        for o in outcomes:
            self.status[o.row.id] = str(o.status)
            self.outcomes[o.row.id] = o
            if o.scheduled_at is not None:
                o.row.scheduled_at = o.scheduled_at
        return len(outcomes)

    def unreachable(self, points: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        return self.gone & set(points)

    def enqueue(self, rows: Sequence[dict[str, Any]]) -> int:
        return 0


class FakeTemplates(TemplateRepository):
    def latest(self) -> dict[tuple[str, str, str], TemplateSource]:
        return {(t.template_id, t.channel, t.language): t for t in default_templates()}

    def versions(self, template_id: str, channel: str, language: str) -> list[TemplateSource]:
        return []

    def add(self, template: TemplateSource, *, created_by: str, now: datetime) -> TemplateSource:
        return template


class FakeAudit(AuditRepository):
    """The guard audit chain in memory (the dispatcher appends a record per evaluation)."""

    def __init__(self) -> None:
        self.rows: list[Any] = []

    def head(self) -> tuple[int, str]:
        return (int(self.rows[-1]["seq"]), str(self.rows[-1]["hash"])) if self.rows else (0, GENESIS)

    def insert(self, rows: Sequence[Any]) -> None:
        self.rows += rows

    def checkpoint(self) -> tuple[int, str]:
        return (0, GENESIS)

    def iter_rows(self) -> Any:
        return iter(self.rows)

    def purge_through(self, seq: int, hash_: str, count: int, at: datetime) -> None:
        raise NotImplementedError


class FakeUow(UnitOfWork):
    def __init__(self, outbox: FakeOutbox) -> None:
        self.repos: dict[type, Any] = {OutboxRepository: outbox, TemplateRepository: FakeTemplates(),
                                       AuditRepository: getattr(outbox, "audit", None) or FakeAudit()}

    def __getitem__(self, port: type) -> Any:
        return self.repos[port]

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass


@dataclass
class Decision:
    decision: str
    reason_codes: tuple[str, ...] = ()


class FakeGuard:
    def __init__(self, decision: Decision | Exception, later: datetime | None = None) -> None:
        self.decision, self.later, self.actions = decision, later, []

    def evaluate(self, context: Any, events: Any, action: Any) -> Decision:
        self.actions.append(action)
        if isinstance(self.decision, Exception):
            raise self.decision
        return self.decision

    def next_allowed_time(self, context: Any, events: Any, channel: Any, after: datetime) -> datetime | None:
        return self.later


class FakeSms(ChannelSender):
    channel = "sms"

    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.sent = error, []

    def send(self, m: OutgoingMessage) -> str:
        if self.error is not None:
            raise self.error
        self.sent.append(m)
        return f"SM-{m.key}"


def _run(guard: FakeGuard, sender: FakeSms, *, attempts: int = 0, **cfg: Any) -> tuple[FakeOutbox, Any]:
    row = OutboxRow(1, "cycle:2026-06-02:7:sms", 7, [70], "sms", "reminder", "en", NOW, attempts, "")
    outbox = FakeOutbox([row])
    d = Dispatcher(lambda: FakeUow(outbox), {"sms": sender}, guard, DispatchConfig(**cfg), clock=lambda: NOW,
                   worker="unit", rand=lambda: 0.5)
    d._defaults_loaded = True
    return outbox, d.run_once()


def test_allowed_message_is_sent_with_its_key_and_recorded_as_a_text_event() -> None:
    guard, sms = FakeGuard(Decision("allowed")), FakeSms()
    outbox, report = _run(guard, sms)
    assert report.sent == 1 and outbox.status[1] == "sent"
    [m] = sms.sent
    assert m.key == "default:cycle:2026-06-02:7:sms" and "$43.21" in m.body and "Reply STOP" in m.body
    o = outbox.outcomes[1]
    assert o.provider_id == f"SM-{m.key}" and o.contact_event["type"] == "text_sent"
    [action] = guard.actions
    assert action["type"] == "text" and action["content"]["opt_out_instruction"] is True
    assert action["content"]["disclosure"] == "initial_full" and action["at"] == NOW.isoformat()


def test_guard_block_records_every_reason_and_sends_nothing() -> None:
    sms = FakeSms()
    outbox, report = _run(FakeGuard(Decision("blocked", ("REGF_DISPUTE_PENDING", "REGF_CEASE_COMMUNICATION"))), sms)
    assert report.blocked == 1 and sms.sent == []
    assert outbox.outcomes[1].error == "guard: REGF_CEASE_COMMUNICATION,REGF_DISPUTE_PENDING"
    audit = outbox.outcomes[1].audit  # the evaluation's §7.6 record goes with the outcome
    assert audit.decision_id.startswith("dispatch:1:") and audit.decision.decision == "blocked"
    assert set(audit.decision.reason_codes) == {"REGF_DISPUTE_PENDING", "REGF_CEASE_COMMUNICATION"}


def test_time_only_block_reschedules_to_the_next_allowed_time() -> None:
    later = NOW + timedelta(hours=10)
    outbox, report = _run(FakeGuard(Decision("blocked", ("REGF_INCONVENIENT_TIME",)), later), FakeSms())
    assert report.rescheduled == 1 and outbox.status[1] == "pending"
    assert outbox.outcomes[1].scheduled_at == later


def test_transient_failure_backs_off_then_gives_up_after_max_attempts() -> None:
    outbox, report = _run(FakeGuard(Decision("allowed")), FakeSms(TransientSendError("HTTP 503")), max_attempts=3)
    o = outbox.outcomes[1]
    assert report.retried == 1 and o.status == OutboxStatus.PENDING and o.next_attempt_at == NOW + timedelta(seconds=15)
    outbox, report = _run(FakeGuard(Decision("allowed")), FakeSms(TransientSendError("HTTP 503")), max_attempts=3,
                          attempts=2)
    assert report.failed == 1 and outbox.outcomes[1].error == "retries exhausted: HTTP 503"


def test_permanent_failure_keeps_the_providers_reason() -> None:
    outbox, report = _run(FakeGuard(Decision("allowed")), FakeSms(PermanentSendError("HTTP 400 code 21211: bad To")))
    assert report.failed == 1 and outbox.outcomes[1].error == "HTTP 400 code 21211: bad To"


def test_a_guard_that_cannot_answer_lets_nothing_out() -> None:
    sms = FakeSms()
    outbox, report = _run(FakeGuard(RuntimeError("boom")), sms)
    assert sms.sent == [] and report.retried == 1 and "guard error" in outbox.outcomes[1].error


def test_rate_limited_channel_still_sends_everything() -> None:
    sms = FakeSms()
    _, report = _run(FakeGuard(Decision("allowed")), sms, rate_limits={"sms": 1000.0})
    assert report.sent == 1 and len(sms.sent) == 1


def test_template_data_has_the_shape_templates_are_checked_against() -> None:
    cp = FakeOutbox([]).contact_points([1])[1]
    debt = FakeOutbox([]).debts([5])[5]
    data = template_data(cp, [debt], Branding(), today=date(2026, 6, 2), locale="en_US")
    sample = sample_data()
    assert set(data) == set(sample)
    assert set(data["debt"]) == set(sample["debt"]) and set(data["validation"]) == set(sample["validation"])


def test_an_opt_out_committed_after_loading_still_stops_the_send() -> None:
    row = OutboxRow(1, "k", 7, [70], "sms", "reminder", "en", NOW, 0, "")
    outbox = FakeOutbox([row])
    outbox.gone = {("sms", 1)}
    sms = FakeSms()
    d = Dispatcher(lambda: FakeUow(outbox), {"sms": sms}, FakeGuard(Decision("allowed")), clock=lambda: NOW)
    d._defaults_loaded = True
    assert d.run_once().blocked == 1 and sms.sent == []
    assert outbox.outcomes[1].error.startswith("REGF_PROHIBITED_MEDIUM")


def test_a_row_that_keeps_killing_dispatchers_is_parked() -> None:
    sms = FakeSms()
    outbox, report = _run(FakeGuard(Decision("allowed")), sms, attempts=16, max_attempts=8)
    assert report.failed == 1 and sms.sent == [] and outbox.outcomes[1].error.startswith("abandoned")

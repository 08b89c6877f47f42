"""Dispatcher settings and its report: batch size, lease, retries and backoff, rate limits, branding,
unsubscribe links; and the counts of what one run did."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from cupx.comms.status import OutboxStatus
from cupx.services.dispatch_ports import Outcome
from cupx.services.dispatch_render import Branding

__all__ = ["DispatchConfig", "DispatchReport", "fill_from_settings"]

S = OutboxStatus


@dataclass
class DispatchConfig:
    batch_size: int = 200
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 8
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    record_every: int = 100  # messages sent between two recordings: bounds what a crash leaves to re-send
    rate_limits: Mapping[str, float] = field(default_factory=dict)  # channel -> messages per second
    channels: tuple[str, ...] | None = None
    brand: Branding = field(default_factory=Branding)
    tenant: str = "default"
    unsubscribe_url: Callable[[int], str] | None = None  # customer_emails.id -> one-click opt-out URL


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    rescheduled: int = 0
    blocked: int = 0
    failed: int = 0
    recorded: int = 0

    def add(self, other: DispatchReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def count(self, outcome: Outcome) -> None:
        if outcome.status == S.SENT:
            self.sent += 1
        elif outcome.status == S.PENDING:
            if outcome.scheduled_at is not None:
                self.rescheduled += 1
            else:
                self.retried += 1
        elif outcome.status == S.BLOCKED:
            self.blocked += 1
        elif outcome.status == S.FAILED:
            self.failed += 1


def fill_from_settings(config: DispatchConfig, runtime: Any) -> None:
    """When the unit-of-work factory is a runtime's `uow`, default the unsubscribe links and portal URL."""
    settings = getattr(runtime, "settings", None)
    if settings is None:
        return
    from cupx.services.inbound import unsubscribe_url_factory

    if config.unsubscribe_url is None:
        config.unsubscribe_url = unsubscribe_url_factory(settings.secret_key, settings.public_base_url)
    if config.brand == Branding():
        base = settings.public_base_url.rstrip("/")
        config.brand = Branding(website=base, portal_url=f"{base}/portal")
    config.tenant = settings.tenant

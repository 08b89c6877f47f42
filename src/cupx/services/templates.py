"""Template use cases: load the shipped defaults, save a new version (refused when it would leave out
required content, naming the element), and preview exactly what would be sent for a debt.

The preview goes through the dispatcher's own preparation (contact point, template fallback,
rendering with required content, guard) on a synthetic outbox row, so what it shows is what the
dispatcher would hand to the channel - or the reason it would not send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cupx.comms.defaults import default_templates
from cupx.comms.rendering import TemplateSource, check_template
from cupx.domain.errors import Conflict, NotFound, ValidationError
from cupx.services.dispatch import DispatchConfig, Dispatcher, Prepared
from cupx.services.dispatch_guard import Guard
from cupx.services.dispatch_ports import OutboxRepository, OutboxRow, TemplateRepository
from cupx.services.uow import UnitOfWork

__all__ = ["Preview", "ensure_default_templates", "preview_message", "save_template"]

CHANNELS = ("sms", "email", "letter", "call_task")


def ensure_default_templates(uow_factory: Callable[[], UnitOfWork], now: datetime) -> int:
    """Store version 1 of every shipped template that has no version yet; return how many were added."""
    added = 0
    with uow_factory() as uow:
        repo = uow[TemplateRepository]
        existing = repo.latest()
        for t in default_templates():
            if (t.template_id, t.channel, t.language) not in existing:
                try:
                    repo.add(t, created_by="system", now=now)
                    added += 1
                except Conflict:  # stored concurrently by another process
                    continue
        uow.commit()
    return added


def save_template(uow_factory: Callable[[], UnitOfWork], template: TemplateSource, *, created_by: str,
                  now: datetime) -> TemplateSource:
    """Validate (syntax, variables, required elements per jurisdiction) and store as the next version."""
    if template.channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if not template.template_id or not template.language:
        raise ValidationError("template_id and language are required", field="template_id")
    check_template(template)
    with uow_factory() as uow:
        saved = uow[TemplateRepository].add(template, created_by=created_by, now=now)
        uow.commit()
    return saved


@dataclass
class Preview:
    channel: str
    template_id: str
    template_version: int | None
    language: str
    to: str = ""
    subject: str = ""
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    would_send: bool = True
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def preview_message(uow_factory: Callable[[], UnitOfWork], *, template_id: str, debt_id: int, now: datetime,
                    channel: str | None = None, language: str | None = None, guard: Guard | None = None,
                    config: DispatchConfig | None = None) -> Preview:
    """What the dispatcher would send for this template and debt now (nothing is written)."""
    with uow_factory() as uow:
        debt = uow[OutboxRepository].debts([debt_id]).get(debt_id)
        templates = uow[TemplateRepository].latest()
    if debt is None:
        raise NotFound(f"debt {debt_id} not found", field="debt")
    chosen = channel or next((c for (tid, c, _l) in templates if tid == template_id), None)
    if chosen is None:
        raise NotFound(f"template {template_id!r} not found", field="template_id")
    row = OutboxRow(id=0, message_key=f"preview:{template_id}:{debt_id}", customer_id=debt.customer_id,
                    debt_ids=[debt_id], channel=chosen, template_id=template_id, language=language or "",
                    scheduled_at=now, attempts=1, claimed_by="preview", source="preview")
    dispatcher = Dispatcher(uow_factory, {}, guard, config)
    batch = dispatcher.load([row])
    if not row.language:
        cp = batch.contact_points.get(row.customer_id)
        row.language = cp.language if cp else "en"
    item = dispatcher.prepare(row, batch, now)
    if isinstance(item, Prepared):
        m = item.message
        return Preview(chosen, str(m.meta.get("template_id")), m.meta.get("template_version"), row.language,
                       to=m.to, subject=m.subject, body=m.body, headers=dict(m.headers))
    if item.call_task is not None:
        return Preview(chosen, template_id, item.call_task.get("template_version"), row.language,
                       body=item.call_task["script"])
    return Preview(chosen, template_id, None, row.language, would_send=False, reason=item.error or str(item.status))

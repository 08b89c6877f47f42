"""Celery entry point: the dispatcher as tasks on Redis or RabbitMQ (`settings.broker_url`).

    celery -A cupx.entrypoints.worker:app worker -Q cupx          (or: cupx worker)

Tasks:
- `cupx.comms.dispatch_batch`: claim and send one batch in this worker process; returns the counts.
- `cupx.comms.dispatch_due`: fan out `batches` dispatch_batch tasks (any worker may take them).
Each worker process keeps one runtime, one set of channel senders (SMTP connections stay open) and one
dispatcher, built on first use. Claiming in the database is what makes several workers safe: a task
delivered twice, or a worker killed mid-batch, never sends a message twice (see cupx.services.dispatch).
The app reads its settings when this module is imported by a worker or a producer, not before.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from celery import Celery

from cupx.adapters.channels import build_senders
from cupx.bootstrap import Runtime, bootstrap
from cupx.config import Settings
from cupx.services.dispatch import DispatchConfig, Dispatcher

__all__ = ["DEFAULT_QUEUE", "app", "create_app", "dispatch_batch", "dispatch_due"]

DEFAULT_QUEUE = "cupx"
_state: dict[str, Any] = {}


def create_app(settings: Settings | None = None, *, queue: str = DEFAULT_QUEUE) -> Celery:
    settings = settings or Settings()
    celery = Celery("cupx", broker=settings.broker_url)
    backend = settings.broker_url if settings.broker_url.startswith(("redis://", "rediss://")) else None
    celery.conf.update(
        result_backend=backend, task_default_queue=queue, task_acks_late=True, task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1, task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=3600, broker_connection_retry_on_startup=True,
    )
    celery.conf.cupx_settings = settings
    return celery


app = create_app()


def _dispatcher() -> Dispatcher:
    if "dispatcher" not in _state:
        settings: Settings = app.conf.cupx_settings
        runtime: Runtime = bootstrap(settings)
        _state["runtime"] = runtime
        _state["dispatcher"] = Dispatcher(runtime.uow, build_senders(settings),
                                          config=DispatchConfig(lease=timedelta(minutes=5)))
    dispatcher: Dispatcher = _state["dispatcher"]
    return dispatcher


@app.task(name="cupx.comms.dispatch_batch")
def dispatch_batch(batch_size: int | None = None, channels: list[str] | None = None,
                   now: str | None = None) -> dict[str, int]:
    """Claim and send one batch; the counts of what happened. `now` (ISO-8601 with offset) replaces the
    clock, for simulations and tests; by default the worker's clock is used."""
    dispatcher = _dispatcher()
    if batch_size:
        dispatcher.config.batch_size = batch_size
    dispatcher.config.channels = tuple(channels) if channels else None
    at = datetime.fromisoformat(now) if now else None
    if at is not None and at.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    return asdict(dispatcher.run_once(at))


@app.task(name="cupx.comms.dispatch_due", bind=True)
def dispatch_due(self: Any, batches: int = 4, batch_size: int | None = None) -> int:
    """Queue `batches` dispatch_batch tasks on the queue this task came from; return how many."""
    queue = (self.request.delivery_info or {}).get("routing_key") or app.conf.task_default_queue
    for _ in range(batches):
        dispatch_batch.apply_async(kwargs={"batch_size": batch_size}, queue=queue)
    return batches

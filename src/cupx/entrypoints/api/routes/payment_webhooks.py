"""The payment-processor webhook: `POST /api/v1/webhooks/payments`, signed in the Stripe style.

The processor sends `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the HMAC is over
`f"{t}.{raw body}"` with `settings.payment_webhook_secret`. A request is accepted when one `v1`
signature matches (compared in constant time) and `t` is within 300 seconds of now, so a captured
request cannot be replayed later; a replayed event id within that window is acknowledged and ignored
(processed ids are stored in `payment_webhook_events`). The route is public by path (see
`PUBLIC_ROUTES`): the signature is its authentication.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from cupx.domain.errors import AuthenticationFailed, ValidationError
from cupx.services.payments import ProcessorEvent, handle_processor_event

__all__ = ["TOLERANCE_S", "router", "sign", "verify_signature"]

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
TOLERANCE_S = 300


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value for a payload (used by tests and the benchmark's sender)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(payload: bytes, header: str | None, secret: str, now: float,
                     tolerance: int = TOLERANCE_S) -> None:
    """Raise AuthenticationFailed unless the header carries a valid, fresh signature of `payload`."""
    if not header:
        raise AuthenticationFailed("missing Stripe-Signature header", field="Stripe-Signature")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        raise AuthenticationFailed("the signature has no valid timestamp", field="Stripe-Signature") from None
    if abs(now - timestamp) > tolerance:
        raise AuthenticationFailed("the signature timestamp is outside the tolerance", field="Stripe-Signature")
    expected = sign(payload, secret, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise AuthenticationFailed("the signature does not match", field="Stripe-Signature")


@router.post("/payments")
async def payment_event(request: Request,
                        stripe_signature: str | None = Header(None, alias="Stripe-Signature")) -> dict[str, Any]:
    """Receive a processor event: payments post, refunds/returns/chargebacks reverse; replays are ignored."""
    runtime = request.app.state.runtime
    payload = await request.body()
    verify_signature(payload, stripe_signature, runtime.settings.payment_webhook_secret, time.time())
    try:
        event = json.loads(payload)
        obj = event["data"]["object"]
        event_id, type_ = str(event["id"]), str(event["type"])
    except (ValueError, KeyError, TypeError):
        raise ValidationError("the event must be JSON with id, type and data.object", field="body") from None
    if not isinstance(obj, dict) or not event_id:
        raise ValidationError("data.object must be an object", field="data.object")
    def work() -> dict[str, Any]:
        with runtime.uow() as uow:
            return handle_processor_event(uow, ProcessorEvent(event_id, type_, obj))

    return {"event_id": event_id, **await run_in_threadpool(work)}

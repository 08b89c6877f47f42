"""Provider callbacks for communications; public by path (`/webhooks/...` in PUBLIC_ROUTES), each
authenticated by its provider's signature instead of staff credentials.

- `POST /webhooks/sms/inbound`: an inbound text (Twilio form fields From, To, Body, MessageSid), signed
  with `X-Twilio-Signature` (HMAC-SHA1 of the public URL + sorted form fields, key
  `settings.sms_auth_token`). STOP and friends are recorded before the answer goes back.
- `POST /webhooks/sms/status`: delivery receipts (MessageSid, MessageStatus, ErrorCode), same signature.
- `POST /webhooks/email/events`: bounces, complaints and deliveries from the mail relay as JSON
  `{"events": [{"type", "message_id", "email", "id"}]}`, signed with `X-Cupx-Signature`: hex
  HMAC-SHA256 of the raw body under `email_webhook_key(settings.secret_key)`.
The signed URL is `settings.public_base_url` + the path, because behind a proxy the request's own URL
is not the one the provider signed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from cupx.comms.signatures import verify_twilio_signature
from cupx.domain.errors import AuthenticationFailed, ValidationError
from cupx.services.inbound import receive_sms, record_delivery_status, record_email_event

__all__ = ["email_webhook_key", "router", "sign_email_events"]

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def email_webhook_key(secret_key: str) -> bytes:
    return hashlib.sha256(f"cupx.email-webhook:{secret_key}".encode()).digest()


def sign_email_events(body: bytes, secret_key: str) -> str:
    return hmac.new(email_webhook_key(secret_key), body, hashlib.sha256).hexdigest()


async def _twilio_form(request: Request, signature: str | None) -> dict[str, str]:
    settings = request.app.state.runtime.settings
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = settings.public_base_url.rstrip("/") + request.url.path
    if not verify_twilio_signature(settings.sms_auth_token or "", url, form, signature):
        raise AuthenticationFailed("the X-Twilio-Signature does not match", field="X-Twilio-Signature")
    return form


@router.post("/sms/inbound")
async def sms_inbound(request: Request,
                      x_twilio_signature: str | None = Header(None, alias="X-Twilio-Signature")) -> Response:
    """An inbound text; opt-outs are committed before this answers."""
    form = await _twilio_form(request, x_twilio_signature)
    if not form.get("From") or "MessageSid" not in form:
        raise ValidationError("From and MessageSid are required", field="From")
    runtime = request.app.state.runtime
    await run_in_threadpool(receive_sms, runtime, form["From"], form.get("Body", ""), to_number=form.get("To"),
                            provider_id=form["MessageSid"])
    return Response(_EMPTY_TWIML, media_type="application/xml")


@router.post("/sms/status")
async def sms_status(request: Request,
                     x_twilio_signature: str | None = Header(None, alias="X-Twilio-Signature")) -> dict[str, Any]:
    """A delivery receipt for a text we sent."""
    form = await _twilio_form(request, x_twilio_signature)
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not sid:
        raise ValidationError("MessageSid is required", field="MessageSid")
    changed = await run_in_threadpool(record_delivery_status, request.app.state.runtime, sid, status,
                                      error_code=form.get("ErrorCode") or None)
    return {"message_sid": sid, "status": status, "updated": changed}


@router.post("/email/events")
async def email_events(request: Request,
                       x_cupx_signature: str | None = Header(None, alias="X-Cupx-Signature")) -> dict[str, Any]:
    """Bounces, complaints and delivery reports from the mail relay."""
    runtime = request.app.state.runtime
    body = await request.body()
    expected = sign_email_events(body, runtime.settings.secret_key)
    if not x_cupx_signature or not hmac.compare_digest(expected, x_cupx_signature):
        raise AuthenticationFailed("the X-Cupx-Signature does not match", field="X-Cupx-Signature")
    try:
        events = json.loads(body)["events"]
        items = [(str(e["type"]), e.get("email"), e.get("message_id"), e.get("id")) for e in events]
    except (ValueError, KeyError, TypeError):
        raise ValidationError("expected {\"events\": [{\"type\", ...}]}", field="events") from None

    def work() -> int:
        return sum(record_email_event(runtime, kind, address=address, message_id=mid, provider_id=pid)
                   for kind, address, mid, pid in items)

    return {"received": len(items), "applied": await run_in_threadpool(work)}

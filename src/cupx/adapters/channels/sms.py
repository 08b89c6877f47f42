"""SMS through an HTTP provider in the Twilio style (httpx).

`POST {base}/2010-04-01/Accounts/{sid}/Messages.json` with form fields To, From, Body, StatusCallback,
HTTP basic auth (account sid, auth token) and an `Idempotency-Key` header carrying the outbox key, so a
re-send after a crash is answered with the first message's sid instead of a second text. The reply's
`sid` is the provider id that delivery-status callbacks quote. HTTP 401/403 (credentials), 429, 5xx and
transport errors are transient; other 4xx (bad number, unsubscribed recipient) are permanent, with the
provider's code and message.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from cupx.services.dispatch_ports import (
    ChannelSender,
    OutgoingMessage,
    PermanentSendError,
    SendError,
    TransientSendError,
)

__all__ = ["HttpSmsSender"]


class HttpSmsSender(ChannelSender):
    channel = "sms"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, from_number: str, *,
                 status_callback_url: str | None = None, timeout: float = 10.0, concurrency: int = 8) -> None:
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.from_number = from_number
        self.status_callback_url = status_callback_url
        self.concurrency = max(1, concurrency)
        self.client = httpx.Client(auth=(account_sid, auth_token), timeout=timeout,
                                   limits=httpx.Limits(max_connections=self.concurrency,
                                                       max_keepalive_connections=self.concurrency))
        self._pool: ThreadPoolExecutor | None = None

    def send(self, m: OutgoingMessage) -> str:
        form = {"To": m.to, "From": self.from_number, "Body": m.body}
        if self.status_callback_url:
            form["StatusCallback"] = self.status_callback_url
        try:
            resp = self.client.post(self.url, data=form, headers={"Idempotency-Key": m.key})
        except httpx.TransportError as exc:
            raise TransientSendError(f"SMS provider unreachable: {exc!r}") from None
        if resp.status_code in (200, 201):
            return str(resp.json()["sid"])
        reason = self._reason(resp)
        # 401/403 are our credentials, not this message: retry once an operator has fixed them.
        if resp.status_code in (401, 403, 429) or resp.status_code >= 500:
            raise TransientSendError(reason)
        raise PermanentSendError(reason)

    @staticmethod
    def _reason(resp: httpx.Response) -> str:
        try:
            data = resp.json()
            return f"HTTP {resp.status_code} code {data.get('code')}: {data.get('message')}"
        except ValueError:
            return f"HTTP {resp.status_code}: {resp.text[:300]}"

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[str | SendError]:
        if self.concurrency == 1 or len(messages) < 2:
            return super().send_many(messages)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="sms")
        return list(self._pool.map(self._one, messages))

    def _one(self, m: OutgoingMessage) -> str | SendError:
        try:
            return self.send(m)
        except SendError as exc:
            return exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.client.close()

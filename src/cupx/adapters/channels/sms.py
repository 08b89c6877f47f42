"""SMS through an HTTP provider in the Twilio style (stdlib `http.client`, kept-open connections).

`POST {base}/2010-04-01/Accounts/{sid}/Messages.json` with form fields To, From, Body, StatusCallback,
HTTP basic auth (account sid, auth token) and an `Idempotency-Key` header carrying the outbox key, so a
re-send after a crash is answered with the first message's sid instead of a second text. The reply's
`sid` is the provider id that delivery-status callbacks quote. HTTP 401/403 (credentials), 429, 5xx and
transport errors are transient; other 4xx (bad number, unsubscribed recipient) are permanent, with the
provider's code and message.

Each sending thread keeps one HTTP/1.1 connection open (`concurrency` threads send a chunk in
parallel). `http.client` costs about a quarter of httpx's CPU per request, which matters at a thousand
texts a second. A kept-open connection the provider closed while idle is reopened and the request
sent once more: safe, since the provider de-duplicates by `Idempotency-Key`.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from cupx.adapters.channels.pooled import PooledSender
from cupx.services.dispatch_ports import (
    OutgoingMessage,
    PermanentSendError,
    SendError,
    TransientSendError,
)

__all__ = ["HttpSmsSender"]

# A kept-open connection the server closed meanwhile: reopen and send again (same Idempotency-Key).
_STALE = (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError, BrokenPipeError)


class HttpSmsSender(PooledSender):
    channel = "sms"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, from_number: str, *,
                 status_callback_url: str | None = None, timeout: float = 10.0, concurrency: int = 8) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        self.scheme, self.host, self.port = parts.scheme or "http", parts.hostname or "127.0.0.1", parts.port
        self.path = f"{parts.path}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.from_number = from_number
        self.status_callback_url = status_callback_url
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}", "Content-Type": "application/x-www-form-urlencoded",
                         "Accept": "application/json"}
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            conn.close()

    def _post(self, body: str, key: str) -> tuple[int, bytes]:
        headers = {**self._headers, "Idempotency-Key": key}
        for attempt in (1, 2):
            reused = getattr(self._local, "conn", None) is not None
            conn = self._connection()
            try:
                conn.request("POST", self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except _STALE:
                self._drop()
                if reused and attempt == 1:
                    continue
                raise
            except (OSError, http.client.HTTPException):
                self._drop()
                raise
            if resp.will_close:
                self._drop()
            return resp.status, data
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def send(self, m: OutgoingMessage) -> str:
        form = {"To": m.to, "From": self.from_number, "Body": m.body}
        if self.status_callback_url:
            form["StatusCallback"] = self.status_callback_url
        try:
            status, data = self._post(urlencode(form), m.key)
        except (OSError, http.client.HTTPException) as exc:
            raise TransientSendError(f"SMS provider unreachable: {exc!r}") from None
        if status in (200, 201):
            try:
                return str(json.loads(data)["sid"])
            except (ValueError, KeyError, TypeError):
                raise TransientSendError(f"HTTP {status}: unreadable reply {data[:300]!r}") from None
        reason = self._reason(status, data)
        # 401/403 are our credentials, not this message: retry once an operator has fixed them.
        if status in (401, 403, 429) or status >= 500:
            raise TransientSendError(reason)
        raise PermanentSendError(reason)

    @staticmethod
    def _reason(status: int, data: bytes) -> str:
        try:
            body: Any = json.loads(data)
            return f"HTTP {status} code {body.get('code')}: {body.get('message')}"
        except (ValueError, AttributeError):
            return f"HTTP {status}: {data[:300].decode(errors='replace')}"

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[str | SendError]:
        return self._send_pooled(messages, self.concurrency, "sms")

    def close(self) -> None:
        self._stop_pool()
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

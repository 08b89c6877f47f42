"""Local stand-ins for providers, for tests, benchmarks and the demo: an SMTP server that keeps what
arrives (aiosmtpd, a development dependency imported only here) and an HTTP server that plays a
Twilio-style SMS provider.

`SmsProviderServer` checks basic auth, answers `Idempotency-Key` repeats with the first sid without
delivering again (as a provider that honours the key does), counts raw requests per key so a test can
tell a duplicate send from a de-duplicated one, can fail the next requests on purpose, and can hold
requests at a gate (to kill a dispatcher in the middle of a batch). Both bind port 0 by default.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import socket
import ssl
import threading
from collections import Counter
from email import message_from_bytes, policy
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = ["SmsProviderServer", "SmtpCapture"]


class SmtpCapture:
    """An aiosmtpd server on 127.0.0.1 keeping every message; `down` makes it answer 451. With
    `tls_context` it requires STARTTLS, with `credentials` it requires AUTH (LOGIN/PLAIN)."""

    def __init__(self, port: int = 0, *, tls_context: ssl.SSLContext | None = None,
                 credentials: tuple[str, str] | None = None) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        outer = self
        self.raw: list[bytes] = []  # as received; parsed on demand (`messages`) so the server stays cheap
        self.down = False
        self._lock = threading.Lock()

        class Handler:
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                                  rcpt_options: Any) -> str:
                if outer.down:
                    return "451 4.3.0 Mail server temporarily unavailable"
                if address.endswith("@invalid.example"):
                    return "550 5.1.1 No such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                with outer._lock:
                    outer.raw.append(bytes(envelope.content))
                return "250 Message accepted for delivery"

        class PortZeroController(Controller):  # type: ignore[misc]
            def _trigger_server(self) -> None:
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and credentials is not None and \
                (data.login.decode(), data.password.decode()) == credentials
            return AuthResult(success=ok)

        self.logins: list[str] = []
        self._controller = PortZeroController(
            Handler(), hostname="127.0.0.1", port=port, tls_context=tls_context, loop=_event_loop(tls_context),
            require_starttls=tls_context is not None, auth_required=credentials is not None,
            auth_require_tls=tls_context is not None, authenticator=authenticator if credentials else None)

    def __enter__(self) -> SmtpCapture:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[Any]:
        """Every message received so far, parsed (`email.message.EmailMessage`)."""
        with self._lock:
            raw = list(self.raw)
        return [message_from_bytes(r, policy=policy.default) for r in raw]

    def message_ids(self) -> Counter[str]:
        """Message-ID per message (headers only are parsed: a benchmark asks this of 500,000 messages)."""
        with self._lock:
            raw = list(self.raw)
        parse = BytesHeaderParser(policy=policy.compat32).parsebytes
        return Counter(str(parse(r)["Message-ID"]).strip() for r in raw)


def _event_loop(tls_context: ssl.SSLContext | None) -> asyncio.AbstractEventLoop:
    """uvloop when installed (it comes with uvicorn[standard]) and no TLS is asked for (the server shares
    the CPU with the dispatchers in the benchmark); the standard loop otherwise."""
    if tls_context is None:
        try:
            import uvloop

            return uvloop.new_event_loop()
        except ImportError:
            pass
    return asyncio.new_event_loop()


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections when dispatchers open dozens at once.
    request_queue_size = 256


class SmsProviderServer:
    """A Twilio-style `POST .../Messages.json` endpoint on 127.0.0.1."""

    def __init__(self, account_sid: str = "ACtest", auth_token: str = "secret", port: int = 0) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.requests: Counter[str] = Counter()  # raw requests per Idempotency-Key
        self.delivered: dict[str, dict[str, str]] = {}  # key -> form, first delivery only
        self.sids: dict[str, str] = {}
        self.fail_next = 0  # answer this many requests with 503
        self.gate: threading.Event | None = None  # when set up, requests past `gate_after` wait on it
        self.gate_after = 0
        self.arrived = threading.Event()  # set once `gate_after` requests arrived
        self.total = 0  # raw requests so far (kept, not summed per request: a benchmark sends 500,000)
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SmsProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    def resent(self) -> int:
        """Requests that repeated a key already seen (answered with the first sid, not delivered)."""
        with self._lock:
            return sum(n - 1 for n in self.requests.values() if n > 1)

    def _accept(self, key: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests[key] += 1
            self.total += 1
            total = self.total
            if self.gate is not None and total >= self.gate_after:
                self.arrived.set()
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"code": 20503, "message": "Service unavailable"}
            if not form.get("To", "").startswith("+"):
                return 400, {"code": 21211, "message": "The 'To' number is not a valid phone number."}
            if key not in self.sids:
                self.sids[key] = f"SM{next(self._serial):032d}"
                self.delivered[key] = form
            return 201, {"sid": self.sids[key], "status": "queued", "to": form.get("To")}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.headers.get("Authorization") != expected:
                    return self._reply(401, {"code": 20003, "message": "Authenticate"})
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                key = self.headers.get("Idempotency-Key") or f"nokey-{next(outer._serial)}"
                gate = outer.gate
                status, body = outer._accept(key, form)
                if gate is not None and outer.total > outer.gate_after:
                    gate.wait(30)
                self._reply(status, body)

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

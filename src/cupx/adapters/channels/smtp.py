"""Email over SMTP (smtplib): STARTTLS and login when configured, a pool of kept-open connections
(4 by default: a relay answers each command after a round trip, so parallel connections hide it).

Every message has a deterministic `Message-ID` derived from its outbox key, so a re-send after a crash
carries the same id (relays and mailbox providers drop repeats by it), plus `List-Unsubscribe` with the
one-click `List-Unsubscribe-Post` header (RFC 8058) when the dispatcher supplies an unsubscribe URL.
Errors: SMTP 4xx, refused or dropped connections and timeouts are transient; 5xx is permanent.
"""

from __future__ import annotations

import binascii
import hashlib
import smtplib
import socket
import ssl
import threading
from collections.abc import Sequence
from email.header import Header
from email.utils import formatdate

from cupx.adapters.channels.pooled import PooledSender
from cupx.services.dispatch_ports import (
    OutgoingMessage,
    PermanentSendError,
    SendError,
    TransientSendError,
)

__all__ = ["SmtpSender", "message_id_for"]


def message_id_for(key: str, mail_from: str) -> str:
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def _header_value(value: str) -> str:
    """ASCII stays as is; anything else becomes an RFC 2047 encoded word (UTF-8)."""
    if value.isascii():
        return value.replace("\r", " ").replace("\n", " ")
    return Header(value, "utf-8").encode(linesep="\r\n")


class SmtpSender(PooledSender):
    channel = "email"

    def __init__(self, host: str, port: int = 25, *, mail_from: str, user: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 10.0,
                 connections: int = 4, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.mail_from = host, port, mail_from
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout
        self.connections = max(1, connections)
        self.ssl_context = ssl_context  # None: the system's trusted CAs (ssl.create_default_context)
        self._local = threading.local()
        self._all: list[smtplib.SMTP] = []
        self._lock = threading.Lock()
        self._down: str | None = None  # set when the relay could not be reached: fail the rest fast

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if smtp.sock is not None:  # one command per write, each awaited: Nagle only adds latency
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp.ehlo()
        if self.starttls:
            smtp.starttls(context=self.ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password or "")
        with self._lock:
            self._all.append(smtp)
        return smtp

    def _smtp(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is None:
            smtp = self._connect()
            self._local.smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            with self._lock:
                if smtp in self._all:
                    self._all.remove(smtp)
            try:
                smtp.close()
            except OSError:
                pass

    def build(self, m: OutgoingMessage) -> bytes:
        """The RFC 5322 message as bytes: UTF-8 text body, quoted-printable, headers encoded when not ASCII.

        Written directly rather than through `email.message.EmailMessage`, whose policy machinery costs
        more than the SMTP exchange itself when thousands of messages go out per second."""
        headers = [("From", self.mail_from), ("To", m.to), ("Subject", m.subject),
                   ("Date", formatdate(localtime=False)), ("Message-ID", message_id_for(m.key, self.mail_from)),
                   *m.headers.items(), ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"),
                   ("Content-Transfer-Encoding", "quoted-printable")]
        lines = [f"{name}: {_header_value(value)}" for name, value in headers]
        body = binascii.b2a_qp(m.body.replace("\r\n", "\n").encode(), istext=True).replace(b"\n", b"\r\n")
        return "\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + body

    def send(self, m: OutgoingMessage) -> str:
        if self._down is not None:  # the relay was unreachable moments ago in this chunk: do not wait again
            raise TransientSendError(self._down)
        data = self.build(m)
        try:
            self._sendmail(m.to, data)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            codes = [code for code, _ in exc.recipients.values()]
            reason = "; ".join(f"{c} {t.decode(errors='replace') if isinstance(t, bytes) else t}"
                               for c, t in exc.recipients.values())
            raise (PermanentSendError if all(c >= 500 for c in codes) else TransientSendError)(reason) from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            reason = f"{exc.smtp_code} {text}"
            raise (PermanentSendError if exc.smtp_code >= 500 else TransientSendError)(reason) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            self._down = f"SMTP {self.host}:{self.port} unavailable: {exc}"
            raise TransientSendError(self._down) from None
        return message_id_for(m.key, self.mail_from)

    def _sendmail(self, to: str, data: bytes) -> None:
        """Send on this thread's connection; a kept-open connection the relay closed meanwhile is
        replaced once (a stale connection is normal after idling, not an outage)."""
        fresh = getattr(self._local, "smtp", None) is None
        try:
            self._smtp().sendmail(self.mail_from, [to], data)
        except smtplib.SMTPServerDisconnected:
            if fresh:
                raise
            self._drop()
            self._smtp().sendmail(self.mail_from, [to], data)

    def _reset(self) -> None:
        try:
            self._smtp().rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[str | SendError]:
        self._down = None  # each chunk tries the relay again (the dispatcher backs off between chunks)
        return self._send_pooled(messages, self.connections, "smtp")

    def close(self) -> None:
        self._stop_pool()
        with self._lock:
            conns, self._all = self._all, []
        for smtp in conns:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        self._local = threading.local()

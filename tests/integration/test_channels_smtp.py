"""SMTP with STARTTLS and AUTH against a real local aiosmtpd that requires both (certificate made for
the test), and refusal of wrong credentials as a transient failure (an operator fixes configuration)."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cupx.adapters.channels.local_servers import SmtpCapture
from cupx.adapters.channels.smtp import SmtpSender
from cupx.services.dispatch_ports import OutgoingMessage, TransientSendError


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = _certificate(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def _message(n: int = 1) -> OutgoingMessage:
    return OutgoingMessage(f"t:{n}", "email", to="pat@example.com", subject="Hello", body="Body text")


def test_starttls_and_login_when_configured(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with SmtpCapture(tls_context=server_ctx, credentials=("relay", "s3cret")) as smtp:
        sender = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example", user="relay", password="s3cret",
                            starttls=True, ssl_context=client_ctx, connections=1)
        message_id = sender.send(_message())
        sender.close()
    [mail] = smtp.messages
    assert mail["Message-ID"] == message_id and mail.get_content().strip() == "Body text"


def test_wrong_password_is_a_transient_failure(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with SmtpCapture(tls_context=server_ctx, credentials=("relay", "s3cret")) as smtp:
        sender = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example", user="relay", password="nope",
                            starttls=True, ssl_context=client_ctx, connections=1)
        with pytest.raises(TransientSendError):
            sender.send(_message())
        sender.close()
    assert smtp.messages == []


def test_an_untrusted_certificate_is_refused(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, _ = tls
    with SmtpCapture(tls_context=server_ctx, credentials=("relay", "s3cret")) as smtp:
        sender = SmtpSender("127.0.0.1", smtp.port, mail_from="c@cupx.example", user="relay", password="s3cret",
                            starttls=True, connections=1)  # system CAs only
        with pytest.raises(TransientSendError):
            sender.send(_message())
        sender.close()
    assert smtp.messages == []

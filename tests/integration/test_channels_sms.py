"""The SMS provider adapter against the local Twilio-style server: form POST with basic auth, the
Idempotency-Key honoured, and the classification of failures (transient vs permanent with the reason)."""

from __future__ import annotations

import pytest

from cupx.adapters.channels.local_servers import SmsProviderServer
from cupx.adapters.channels.sms import HttpSmsSender
from cupx.services.dispatch_ports import OutgoingMessage, PermanentSendError, TransientSendError


def _m(key: str = "k1", to: str = "+12125550100") -> OutgoingMessage:
    return OutgoingMessage(key, "sms", to=to, body="Hello. Reply STOP to stop texts to this number.")


def test_form_post_with_basic_auth_and_a_callback() -> None:
    with SmsProviderServer() as server:
        sender = HttpSmsSender(server.url, "ACtest", "secret", "+15005550006",
                               status_callback_url="https://cupx.example/webhooks/sms/status")
        sid = sender.send(_m())
        sender.close()
    assert sid.startswith("SM")
    form = server.delivered["k1"]
    assert form == {"To": "+12125550100", "From": "+15005550006", "Body": _m().body,
                    "StatusCallback": "https://cupx.example/webhooks/sms/status"}


def test_the_same_key_twice_is_one_text_with_one_sid() -> None:
    with SmsProviderServer() as server:
        sender = HttpSmsSender(server.url, "ACtest", "secret", "+15005550006")
        assert sender.send(_m()) == sender.send(_m())
        sender.close()
    assert len(server.delivered) == 1 and server.resent() == 1


def test_failures_are_classified_with_the_providers_reason() -> None:
    with SmsProviderServer() as server:
        sender = HttpSmsSender(server.url, "ACtest", "secret", "+15005550006")
        with pytest.raises(PermanentSendError) as bad_number:
            sender.send(_m("k2", to="12345"))
        server.fail_next = 1
        with pytest.raises(TransientSendError) as outage:
            sender.send(_m("k3"))
        wrong = HttpSmsSender(server.url, "ACtest", "not-the-token", "+15005550006")
        with pytest.raises(TransientSendError) as credentials:
            wrong.send(_m("k4"))
        sender.close()
        wrong.close()
    assert "21211" in bad_number.value.reason and "not a valid phone number" in bad_number.value.reason
    assert "503" in outage.value.reason and "401" in credentials.value.reason
    unreachable = HttpSmsSender("http://127.0.0.1:9", "ACtest", "secret", "+15005550006", timeout=2)
    with pytest.raises(TransientSendError):
        unreachable.send(_m("k5"))
    unreachable.close()

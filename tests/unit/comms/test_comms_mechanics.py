"""Keywords, provider signatures, retry delays, rate limits, outbox statuses and money formatting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.comms.keywords import InboundKeyword, classify_keyword
from cupx.comms.rendering import format_money, locale_for
from cupx.comms.retry import TokenBucket, backoff_delay
from cupx.comms.signatures import twilio_signature, verify_twilio_signature
from cupx.comms.status import OutboxStatus
from cupx.domain.errors import InvalidTransition
from cupx.domain.money import Money


@pytest.mark.parametrize("body", ["STOP", " stop ", "Stop.", "UNSUBSCRIBE", "cancel", "End", "QUIT", "ALTO", "parar!"])
def test_opt_out_words(body: str) -> None:
    assert classify_keyword(body) == InboundKeyword.OPT_OUT


@pytest.mark.parametrize(("body", "kind"), [("HELP", InboundKeyword.HELP), ("ayuda", InboundKeyword.HELP),
                                            ("please stop calling my work", InboundKeyword.MESSAGE),
                                            ("", InboundKeyword.MESSAGE)])
def test_other_replies(body: str, kind: InboundKeyword) -> None:
    assert classify_keyword(body) == kind


def test_twilio_signature_round_trip_and_tampering() -> None:
    url = "https://cupx.example/webhooks/sms/inbound"
    form = {"From": "+12125550100", "Body": "STOP", "MessageSid": "SM1"}
    sig = twilio_signature("token", url, form)
    assert verify_twilio_signature("token", url, form, sig)
    assert not verify_twilio_signature("token", url, {**form, "Body": "HELP"}, sig)
    assert not verify_twilio_signature("other", url, form, sig)
    assert not verify_twilio_signature("token", url, form, None)
    assert not verify_twilio_signature("", url, form, twilio_signature("", url, form))  # no token: refuse


def test_twilio_documented_example() -> None:
    # The example in Twilio's webhook-security documentation (auth token 12345).
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    sig = twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
    assert sig == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@given(attempt=st.integers(1, 30), rand=st.floats(0, 1))
@settings(max_examples=60, deadline=None)
def test_backoff_is_bounded_and_grows(attempt: int, rand: float) -> None:
    delay = backoff_delay(attempt, base_s=30, cap_s=3600, rand=rand)
    assert timedelta(seconds=1) <= delay <= timedelta(seconds=3600)
    assert backoff_delay(attempt + 1, rand=1.0) >= backoff_delay(attempt, rand=1.0)


def test_token_bucket_spaces_sends() -> None:
    bucket = TokenBucket(rate=10, burst=2)
    waits = [bucket.take(100.0) for _ in range(4)]
    assert waits[:2] == [0.0, 0.0] and waits[2] == pytest.approx(0.1) and waits[3] == pytest.approx(0.2)
    assert TokenBucket(rate=0).take(1.0) == 0.0


def test_outbox_status_moves() -> None:
    S = OutboxStatus
    assert S.PENDING.move_to(S.CLAIMED) == S.CLAIMED
    assert S.SENT.can_move_to(S.DELIVERED) and S.DELIVERED.is_final
    with pytest.raises(InvalidTransition):
        S.SENT.move_to(S.PENDING)
    with pytest.raises(InvalidTransition):
        S.BLOCKED.move_to(S.CLAIMED)


@given(minor=st.integers(0, 10**13), currency=st.sampled_from(["USD", "GBP", "EUR", "JPY", "BHD", "MXN"]),
       locale=st.sampled_from(["en_US", "es_US", "en_GB", "es", "de_DE", "fr_FR", "en_IN"]))
@settings(max_examples=150, deadline=None)
def test_fast_money_formatting_equals_babel(minor: int, currency: str, locale: str) -> None:
    money = Money(minor, currency)
    assert format_money(money, locale) == str(format_currency(money.to_decimal(), currency, locale=locale))


def test_locale_for_language_and_jurisdiction() -> None:
    assert (locale_for("es", "US"), locale_for("en", "UK"), locale_for("es", "UK")) == ("es_US", "en_GB", "es")

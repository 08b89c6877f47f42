"""Money: exact parsing and formatting, currency safety, and splits that always add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.domain.errors import ErrorCode, ValidationError
from cupx.domain.money import Money, allocate, allocate_in_order, minor_digits, parse_money


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1234.56", "USD", 123_456), ("0.1", "USD", 10), ("12", "JPY", 12), ("1.234", "BHD", 1_234),
    ("-5.00", "EUR", -500), (" 7.10 ", "GBP", 710), (Decimal("3.5"), "USD", 350), (42, "USD", 4_200),
])
def test_parse_money(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(("text", "currency", "needle"), [
    ("1.234", "USD", "more than 2 decimal places"), ("1.5", "JPY", "more than 0 decimal places"),
    ("abc", "USD", "not a number"), ("NaN", "USD", "not a finite amount"), ("1", "usd", "ISO 4217"),
    ("1", "ZZZ", "unknown currency"),
])
def test_parse_money_refuses(text: str, currency: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        parse_money(text, currency)


def test_rounding_only_when_asked() -> None:
    assert parse_money("1.005", "USD", allow_rounding=True) == Money(100, "USD")  # half-even
    assert parse_money("1.015", "USD", allow_rounding=True) == Money(102, "USD")


def test_minor_digits_and_formatting() -> None:
    assert (minor_digits("USD"), minor_digits("JPY"), minor_digits("BHD")) == (2, 0, 3)
    assert Money(123_450, "USD").format("en_US") == "$1,234.50"
    assert Money(123_450, "EUR").format("de_DE") == "1.234,50\xa0€"
    assert str(Money(5, "USD")) == "0.05 USD"


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(ValidationError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as err:
        Money(1, "USD") + Money(1, "EUR")
    assert err.value.code == ErrorCode.CURRENCY_MISMATCH
    assert Money(5, "USD") - Money(7, "USD") == Money(-2, "USD") and (-Money(3, "USD")).is_negative


@settings(max_examples=200, deadline=None)
@given(total=st.integers(-10**12, 10**12),
       weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(lambda w: sum(w) > 0))
def test_allocate_sums_exactly_and_stays_proportional(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
    wsum = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert abs(part * wsum - total * w) < wsum  # within one minor unit of the exact share
        if w == 0:
            assert part == 0


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(0, 10**9), caps=st.lists(st.integers(-100, 10**8), max_size=8))
def test_allocate_in_order_never_loses_money(amount: int, caps: list[int]) -> None:
    parts, left = allocate_in_order(amount, caps)
    assert sum(parts) + left == amount and left >= 0
    assert all(0 <= p <= max(c, 0) for p, c in zip(parts, caps, strict=True))
    # Waterfall: a later part only gets money once every earlier one is full.
    for i, part in enumerate(parts):
        if part and i:
            assert all(parts[j] == max(caps[j], 0) for j in range(i))


def test_allocate_refuses_nonsense() -> None:
    for weights in ([], [-1, 2], [0, 0]):
        with pytest.raises(ValidationError):
            allocate(100, weights)
    with pytest.raises(ValidationError):
        allocate_in_order(-1, [1])

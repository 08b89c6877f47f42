"""Money: whole minor units of one ISO 4217 currency, never a float.

Invariants:
- `Money.minor` is an `int`; `Money.currency` is a known ISO 4217 code in upper case.
- Arithmetic between two currencies raises `ValidationError` (code `currency_mismatch`).
- `allocate` splits an amount into parts that always add up exactly to the whole.
- Decimal appears only when parsing or formatting, with an explicit rounding mode (ROUND_HALF_EVEN
  unless the caller says otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from cupx.domain.errors import ErrorCode, ValidationError

__all__ = ["Money", "allocate", "allocate_in_order", "check_currency", "minor_digits", "parse_money"]


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=512)
def minor_digits(currency: str) -> int:
    """Digits after the decimal point for a currency (2 for USD, 0 for JPY, 3 for BHD)."""
    return int(get_currency_precision(check_currency(currency)))


@lru_cache(maxsize=512)
def check_currency(currency: str, field: str = "currency") -> str:
    """Return the code if it is a known ISO 4217 currency, else raise naming `field`."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ValidationError(f"{currency!r} is not an ISO 4217 currency code", field=field)
    if currency not in _known_currencies():
        raise ValidationError(f"unknown currency {currency!r}", field=field)
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise ValidationError(f"minor units must be an int, got {type(self.minor).__name__}", field="minor")
        check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValidationError(
                f"cannot combine {self.currency} with {other.currency}",
                field="currency",
                code=ErrorCode.CURRENCY_MISMATCH,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def to_decimal(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def format(self, locale: str = "en_US") -> str:
        """Locale formatting through Babel, e.g. `$1,234.50` or `1.234,50 €`."""
        return str(format_currency(self.to_decimal(), self.currency, locale=locale))

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"


def parse_money(text: str | int | Decimal, currency: str, *, field: str = "amount",
                rounding: str = ROUND_HALF_EVEN, allow_rounding: bool = False) -> Money:
    """Parse major units ("123.45") into Money. Extra digits are refused unless `allow_rounding`."""
    check_currency(currency)
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{text!r} is not a number", field=field) from None
    if not value.is_finite():
        raise ValidationError(f"{text!r} is not a finite amount", field=field)
    digits = minor_digits(currency)
    scaled = value.scaleb(digits)
    whole = scaled.to_integral_value(rounding=rounding)
    if whole != scaled and not allow_rounding:
        raise ValidationError(f"{text!r} has more than {digits} decimal places for {currency}", field=field)
    return Money(int(whole), currency)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` minor units in proportion to non-negative integer `weights`, summing exactly.

    Largest-remainder method: each part gets floor(total*w/sum), then the leftover units go one by one
    to the parts with the largest remainders (earlier parts win ties), so the result is deterministic.
    Negative totals are split as the negation of the positive split.
    """
    if not weights:
        raise ValidationError("cannot allocate over zero parts", field="weights")
    if any(w < 0 for w in weights):
        raise ValidationError("weights must be non-negative", field="weights")
    if total < 0:
        return [-p for p in allocate(-total, weights)]
    wsum = sum(weights)
    if wsum == 0:
        raise ValidationError("weights must not all be zero", field="weights")
    parts = [total * w // wsum for w in weights]
    remainders = [total * w % wsum for w in weights]
    leftover = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def allocate_in_order(amount: int, capacities: Sequence[int]) -> tuple[list[int], int]:
    """Fill `capacities` in order with `amount`; return the parts and what is left over.

    Used for waterfall allocation (fees, then interest, then principal; or debt by debt). A part never
    exceeds its capacity, and parts + leftover == amount.
    """
    if amount < 0:
        raise ValidationError("amount to allocate must not be negative", field="amount")
    parts: list[int] = []
    left = amount
    for cap in capacities:
        take = min(left, max(cap, 0))
        parts.append(take)
        left -= take
    return parts, left

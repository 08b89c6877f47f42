"""Customer normalisation: E.164 phones, e-mail addresses, US addresses and flags."""

from __future__ import annotations

import pytest

from cupx.domain.customer import (
    Address,
    Customer,
    CustomerFlag,
    Email,
    Phone,
    PhoneType,
    normalize_email,
    normalize_phone,
)
from cupx.domain.errors import ValidationError


@pytest.mark.parametrize(("raw", "e164"), [
    ("(312) 555-0199", "+13125550199"), ("312.555.0199", "+13125550199"), ("+1 312 555 0199", "+13125550199"),
    ("+44 20 7946 0958", "+442079460958"), ("1-850-555-0100", "+18505550100"),
])
def test_normalize_phone(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12345", "not a phone", "+1 099 555 0199", "+999 1234"])
def test_normalize_phone_refuses_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalize_phone(raw, field_name="phones[0]")
    assert err.value.field == "phones[0]"


def test_normalize_email() -> None:
    assert normalize_email("  Ada.L@Example.COM ") == "Ada.L@example.com"
    for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "ada@.com"]:
        with pytest.raises(ValidationError):
            normalize_email(bad)


def test_contact_points_and_addresses() -> None:
    assert Phone("(312) 555-0199", type="work").number == "+13125550199"  # type: ignore[arg-type]
    assert Phone("3125550199").type == PhoneType.MOBILE
    assert Email("a@B.com").address == "a@b.com"
    assert Address("1 Main St", "Chicago", "60601-1234", state="il").state == "IL"
    assert Address("10 Downing St", "London", "SW1A 2AA", country="GB").state is None
    with pytest.raises(ValidationError, match="ZIP"):
        Address("1 Main St", "Chicago", "6060", state="IL")
    with pytest.raises(ValidationError, match="state"):
        Address("1 Main St", "Chicago", "60601")


def test_customer_flags_and_collection_bar() -> None:
    ada = Customer("C1", "Ada", flags={"bankruptcy"})  # type: ignore[arg-type]
    assert ada.has(CustomerFlag.BANKRUPTCY) and ada.collection_barred
    assert not Customer("C2", "Bob", flags={CustomerFlag.VULNERABLE}).collection_barred
    with pytest.raises(ValueError):
        Customer("C3", "Cy", flags={"ghost"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Customer("C4", "  ")

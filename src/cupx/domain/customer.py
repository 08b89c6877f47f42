"""A customer (the person who owes) and their contact points.

Invariants:
- Phone numbers are stored in E.164, parsed and validated by `phonenumbers`; a number that is not a
  valid number for its region is refused, naming the field.
- Email addresses are lower-cased in the domain part and must contain one `@` with a dotted domain.
- Every contact point keeps its provenance (how CU-PX came to have it) and its consent and opt-out
  state, because the compliance guard decides on them (RULES.md R-08, R-09, TCPA).
- Flags are a set of `CustomerFlag`; a flag such as `deceased` or `bankruptcy` stops collection contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

import phonenumbers

from cupx.domain.errors import ValidationError

__all__ = [
    "Address",
    "Customer",
    "CustomerFlag",
    "Email",
    "Phone",
    "PhoneType",
    "PlaceKind",
    "normalize_email",
    "normalize_phone",
]


class PhoneType(StrEnum):
    MOBILE = "mobile"  # a cell phone: texts possible, TCPA consent needed for autodialled calls
    RESIDENTIAL_LANDLINE = "residential_landline"  # a home line
    WORK = "work"  # an employer's line; R-05 limits its use


class PlaceKind(StrEnum):
    HOME = "home"  # where the customer lives
    WORK = "work"  # the customer's place of employment
    OTHER = "other"  # anything else (a PO box, a relative's address)


class CustomerFlag(StrEnum):
    DECEASED = "deceased"  # the estate is dealt with, never the customer
    BANKRUPTCY = "bankruptcy"  # automatic stay: no collection
    ATTORNEY_REPRESENTED = "attorney_represented"  # contact the attorney, not the consumer
    VULNERABLE = "vulnerable"  # softer strategy, trained agents (CONC 7, FCA FG21/1)
    MILITARY = "military"  # SCRA protections
    HARDSHIP = "hardship"  # declared financial difficulty


def normalize_phone(raw: str, default_region: str = "US", field_name: str = "phone") -> str:
    """Parse a phone number and return it in E.164, or raise naming the field."""
    if not raw or not isinstance(raw, str):
        raise ValidationError("phone number is required", field=field_name)
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"{raw!r} is not a phone number: {exc}", field=field_name) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"{raw!r} is not a valid phone number", field=field_name)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str, field_name: str = "email") -> str:
    """Trim and lower-case the domain; refuse anything without a local part and a dotted domain."""
    text = (raw or "").strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or "." not in domain or domain.startswith(".") or domain.endswith(".") or " " in text:
        raise ValidationError(f"{raw!r} is not an email address", field=field_name)
    return f"{local}@{domain.lower()}"


@dataclass(slots=True)
class Phone:
    number: str  # E.164
    type: PhoneType = PhoneType.MOBILE
    provenance: str = "creditor_provided"  # consumer_provided, creditor_provided, skip_trace, ...
    tcpa_consent: bool = False  # prior express consent to autodialled or prerecorded calls and texts
    consent_at: datetime | None = None
    consent_source: str | None = None
    opted_out: bool = False  # STOP received: no texts (R-09, TCPA revocation)
    wrong_number: bool = False

    def __post_init__(self) -> None:
        self.number = normalize_phone(self.number)
        self.type = PhoneType(self.type)


@dataclass(slots=True)
class Email:
    address: str
    provenance: str = "creditor_notice"  # consumer_used, consumer_consent, creditor_notice, prior_collector
    opted_out: bool = False
    bounced: bool = False
    domain_public: bool = True
    employer_provided_known: bool = False

    def __post_init__(self) -> None:
        self.address = normalize_email(self.address)


@dataclass(slots=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str = "US"
    state: str | None = None
    line2: str = ""
    place: PlaceKind = PlaceKind.HOME
    undeliverable: bool = False

    def __post_init__(self) -> None:
        if not self.line1:
            raise ValidationError("address line1 is required", field="line1")
        if self.country == "US":
            zip5 = self.postal_code[:5]
            if not (zip5.isdigit() and len(zip5) == 5):
                raise ValidationError(f"{self.postal_code!r} is not a US ZIP code", field="postal_code")
            if not self.state or len(self.state) != 2:
                raise ValidationError("a US address needs a two-letter state", field="state")
            self.state = self.state.upper()


@dataclass(slots=True)
class Customer:
    """The person who owes; personal fields are encrypted at rest by the storage adapter."""

    external_id: str
    full_name: str
    id: int | None = None
    date_of_birth: date | None = None
    preferred_language: str = "en"
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    flags: set[CustomerFlag] = field(default_factory=set)
    stated_time_zone: str | None = None  # "I'm in Denver this month" (RULES.md 7.2)
    customer_since: date | None = None

    def __post_init__(self) -> None:
        if not self.external_id:
            raise ValidationError("external_id is required", field="external_id")
        if not self.full_name or not self.full_name.strip():
            raise ValidationError("full_name is required", field="full_name")
        self.flags = {CustomerFlag(f) for f in self.flags}

    def has(self, flag: CustomerFlag) -> bool:
        return flag in self.flags

    @property
    def collection_barred(self) -> bool:
        """Deceased or bankrupt customers are never contacted for collection."""
        return bool(self.flags & {CustomerFlag.DECEASED, CustomerFlag.BANKRUPTCY})

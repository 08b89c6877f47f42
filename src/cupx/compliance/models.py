"""Typed inputs of the guard in the vocabulary of RULES.md §6 (context, events, action).

Plain dicts (parsed YAML/JSON) are validated into these models; a bad value raises
`cupx.domain.errors.ValidationError` naming the field path (e.g. `events[3].at`). Invariants:
every instant is timezone-aware; event and action types are closed enums; debt ids referenced by
events and the action exist in `context.debts` (when the context lists debts).
Unknown extra keys are kept (`extra="allow"`) so richer inputs from newer producers still load.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Action", "ActionType", "Address", "CollectorRole", "Content", "Context", "Consumer", "Debt",
    "Email", "Event", "EventType", "LocationEvidence", "Person", "Phone", "TimeWindow",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class CollectorRole(StrEnum):
    FDCPA_DEBT_COLLECTOR = "fdcpa_debt_collector"  # Reg F applies (1006.2(i))
    FIRST_PARTY_CREDITOR = "first_party_creditor"  # Reg F only when the tenant opts in (C-19)
    UK_AUTHORISED_FIRM = "uk_authorised_firm"  # FCA CONC 7 and UK GDPR


class EventType(StrEnum):
    """History events (RULES.md §6.2); `at` is when the collector learned of it."""

    CALL_PLACED = "call_placed"  # outbound call attempt with outcome
    EMAIL_SENT = "email_sent"  # outbound email
    TEXT_SENT = "text_sent"  # outbound text
    LETTER_SENT = "letter_sent"  # outbound letter
    LETTER_MAILED = "letter_mailed"  # letter mailed (R-15 passive-collection clock)
    UNDELIVERABLE_NOTICE = "undeliverable_notice"  # returned mail / bounce
    FURNISHED_TO_CRA = "furnished_to_cra"  # data furnished to a credit bureau
    CALL_RECORDING_CREATED = "call_recording_created"  # a call recording exists
    CONTACT_PREFERENCE = "contact_preference"  # UK stated contact windows
    TELEPHONE_CONVERSATION = "telephone_conversation"  # conversation about debts (R-01 B)
    CALL_CONSENT = "call_consent"  # 1006.14(b)(3)(i) prior consent to calls
    CALL_CONSENT_REVOKED = "call_consent_revoked"  # revocation of that consent
    WRONG_NUMBER_LEARNED = "wrong_number_learned"  # number is not the person's
    MEDIUM_RESTRICTION = "medium_restriction"  # 1006.14(h) request not to use a medium
    ELECTRONIC_OPT_OUT = "electronic_opt_out"  # opt-out of an address/number (all debts)
    INCONVENIENT_TIME = "inconvenient_time"  # consumer-designated inconvenient times
    INCONVENIENT_PLACE = "inconvenient_place"  # consumer-designated inconvenient place
    TIME_CONSENT = "time_consent"  # consent to contact at otherwise inconvenient times
    EMPLOYER_PROHIBITS = "employer_prohibits"  # employer prohibits contact at work
    ATTORNEY_KNOWN = "attorney_known"  # representation by an attorney on debts
    ATTORNEY_FAILED_TO_RESPOND = "attorney_failed_to_respond"  # human-recorded lift of R-04
    ATTORNEY_CONSENT = "attorney_consent"  # attorney consents to direct contact
    CONSUMER_INITIATED_CONTACT = "consumer_initiated_contact"  # inbound contact
    CEASE_NOTICE = "cease_notice"  # 1006.6(c) written cease / refusal to pay
    INITIAL_COMMUNICATION = "initial_communication"  # first communication took place
    VALIDATION_NOTICE = "validation_notice"  # validation information provided
    DISPUTE = "dispute"  # consumer dispute
    VERIFICATION_SENT = "verification_sent"  # response to a dispute
    DUPLICATIVE_DISPUTE_NOTICE = "duplicative_dispute_notice"  # response to a duplicative dispute
    ORIGINAL_CREDITOR_REQUEST = "original_creditor_request"  # 1006.38(c) request
    ORIGINAL_CREDITOR_INFO_SENT = "original_creditor_info_sent"  # response to it
    TCPA_CONSENT = "tcpa_consent"  # prior express consent for automated calls/texts
    TCPA_REVOCATION = "tcpa_revocation"  # revocation (C-20)
    FINANCIAL_DIFFICULTY_DECLARED = "financial_difficulty_declared"  # UK CONC 7.3
    REPAYMENT_PROPOSAL = "repayment_proposal"  # UK CONC 7.3.4R
    STATUTE_BARRED_ASSERTION = "statute_barred_assertion"  # UK CONC 7.15.8
    UK_DISPUTE_RESOLVED = "uk_dispute_resolved"  # CONC 7.14 dispute answered
    ERASURE_REQUEST = "erasure_request"  # GDPR Art. 17
    HUMAN_REVIEW = "human_review"  # GDPR Art. 22 named reviewer


class ActionType(StrEnum):
    """Proposed actions (RULES.md §6.3)."""

    CALL = "call"  # outbound telephone call
    TEXT = "text"  # SMS
    EMAIL = "email"  # email
    LETTER = "letter"  # postal letter
    VOICEMAIL_MESSAGE = "voicemail_message"  # message left on a voicemail
    SOCIAL_MEDIA_MESSAGE = "social_media_message"  # social media message
    INBOUND_CALL_SCRIPT = "inbound_call_script"  # script for answering an inbound call
    FURNISH_TO_CRA = "furnish_to_cra"  # furnish to a credit bureau
    SELL_DEBT = "sell_debt"  # sale of the debt
    TRANSFER_DEBT = "transfer_debt"  # transfer / placement of the debt
    FILE_LAWSUIT = "file_lawsuit"  # legal action
    BANKRUPTCY_PROOF_OF_CLAIM = "bankruptcy_proof_of_claim"  # proof of claim (allowed on time-barred)
    COMPUTE_VALIDATION_PERIOD = "compute_validation_period"  # computation only
    CHECK_VALIDATION_END_DATE = "check_validation_end_date"  # check a stated end date
    COMPUTE_VALIDATION_NOTICE_DEADLINE = "compute_validation_notice_deadline"  # computation only
    SHARE_DEBT_DATA = "share_debt_data"  # data file, not a transfer
    DELETE_RECORDS = "delete_records"  # R-18 retention
    ERASE_PERSONAL_DATA = "erase_personal_data"  # GDPR Art. 17
    AUTOMATED_DECISION = "automated_decision"  # GDPR Art. 22


class TimeWindow(_Model):
    """Local weekly window: `days` (mon..sun, empty = every day), `start`/`end` local times."""

    days: tuple[str, ...] = ()
    start: time = time(0, 0)
    end: time = time(23, 59, 59)

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        return tuple(str(d).strip().lower()[:3] for d in (value or ()))

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        # "9:00" and "24:00" are common in hand-written cases
        if isinstance(value, str):
            text = value.strip()
            if text in ("24:00", "24:00:00"):
                return time(23, 59, 59, 999999)
            if len(text.split(":")[0]) == 1:
                return "0" + text
        return value


class LocationEvidence(_Model):
    kind: str
    value: str = ""
    tz: str | None = None
    state: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class Consumer(_Model):
    id: str = "consumer"
    location_evidence: tuple[LocationEvidence, ...] = ()
    flags: tuple[str, ...] = ()
    contact_preferences: dict[str, Any] = Field(default_factory=dict)
    state: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, value: Any) -> Any:
        return str(value)


class Debt(_Model):
    id: str
    kind: str | None = None
    serviced_under_account: str | None = None
    status: str | None = None
    time_barred: bool | None = None
    statute_barred: bool | None = None
    limitations_date: date | None = None
    jurisdictions: tuple[str, ...] = ()
    last_collection_activity_on: date | None = None
    identity_theft: bool = False

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, value: Any) -> Any:
        return str(value)


class Person(_Model):
    id: str
    role: str = "consumer"

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, value: Any) -> Any:
        return str(value)


class Phone(_Model):
    number: str
    type: str = "mobile"
    person: str | None = None
    personal: bool = False
    text_provenance: dict[str, Any] | None = None
    tcpa_consent: bool | dict[str, Any] | None = None


class Email(_Model):
    address: str
    person: str | None = None
    domain_public: bool = True
    employer_provided_known: bool = False
    provenance: str | dict[str, Any] | None = None


class Address(_Model):
    id: str
    place: str = "home"
    value: str = ""
    postcard: bool = False

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, value: Any) -> Any:
        return str(value)


class Context(_Model):
    collector_role: CollectorRole = CollectorRole.FDCPA_DEBT_COLLECTOR
    collector_business_tz: str = "America/New_York"
    consumer: Consumer = Field(default_factory=Consumer)
    debts: tuple[Debt, ...] = ()
    persons: tuple[Person, ...] = ()
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    addresses: tuple[Address, ...] = ()
    collector_licensed_in: tuple[str, ...] = ()
    profile: str | dict[str, Any] | None = None
    accepts_electronic_communications: bool = True

    @field_validator("collector_business_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from cupx.compliance.timezones import is_valid_zone

        if not is_valid_zone(value):
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value


class Content(_Model):
    """Template content flags (RULES.md §6.3)."""

    disclosure: str = "none"
    opt_out_instruction: bool = False
    litigation_reference: bool = False
    single_payment_demand: bool = False
    short_deadline: bool = False
    suggest_borrowing_or_sale: bool = False
    debt_mentioned: bool = True
    purpose: str = "collection"
    only_confirmation: bool = False
    automated: bool = False
    payment_demand: bool = False
    limited_content: bool = False
    validation_period_safe: bool = False
    postcard: bool = False
    language: str | None = None


def _ids(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    return tuple(str(v) for v in value)


class Event(_Model):
    """One history event; fields beyond `type`/`at` are optional and depend on the type."""

    type: EventType
    at: AwareDatetime
    person: str | None = None
    number: str | None = None
    address: str | None = None
    debt_ids: tuple[str, ...] | None = None
    counted_toward: tuple[str, ...] = ()
    outcome: str | None = None
    dialing: str | None = None
    message_possible: bool | None = None
    purpose: str | None = None
    initiated_by: str | None = None
    medium: str | None = None
    limited_to_date: date | None = None
    written: bool | None = None
    submitted_at: AwareDatetime | None = None
    provided_on: date | None = None
    stated_end_date: date | None = None
    undeliverable: bool = False
    sent_on: date | None = None
    mailed_on: date | None = None
    windows: tuple[TimeWindow, ...] = ()
    window: TimeWindow | None = None
    until: AwareDatetime | date | None = None
    withdrawn: bool = False
    place: str | None = None
    given_to: str | None = None
    in_reply_to_consumer_contact: bool = False
    all: bool = False
    keyword: str | None = None
    method: str | None = None
    grounds: str | None = None
    duplicative: bool = False
    content: Content | None = None
    reviewer: str | None = None
    attorney_name: str | None = None
    attorney_address: str | None = None
    date_only: bool = False  # `at` was a date (C-18): midnight in the collector's business zone

    @field_validator("debt_ids", "counted_toward", mode="before")
    @classmethod
    def _debt_ids(cls, value: Any) -> Any:
        if value == "all":
            return None
        return _ids(value)

    @model_validator(mode="before")
    @classmethod
    def _date_only(cls, data: Any) -> Any:
        """A date-only `at` (C-18) is kept as midnight UTC and flagged; inputs.parse_events moves it to
        midnight in the collector's business zone. A date-time without an offset stays an error."""
        if isinstance(data, dict):
            value = data.get("at")
            is_date = isinstance(value, date) and not isinstance(value, datetime)
            if isinstance(value, str) and len(value.strip()) == 10:
                try:
                    value, is_date = date.fromisoformat(value.strip()), True
                except ValueError:
                    pass
            if is_date and isinstance(value, date):
                data = {**data, "at": datetime.combine(value, time(0), tzinfo=UTC), "date_only": True}
        return data

    @field_validator("windows", mode="before")
    @classmethod
    def _one_window(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class Action(_Model):
    """The proposed action; `at` for timed actions, a date (`mail_on`, `on_date`, ...) otherwise."""

    type: ActionType
    at: AwareDatetime | None = None
    person: str | None = None
    number: str | None = None
    address: str | None = None
    address_id: str | None = None
    debt_ids: tuple[str, ...] = ()
    dialing: str = "manual"
    content: Content | None = None
    visibility: str | None = None
    purpose: str | None = None
    mail_on: date | None = None
    on_date: date | None = None
    provided_on: date | None = None
    stated_end_date: date | None = None
    initial_communication_on: date | None = None
    medium: str | None = None
    record_kind: str | None = None
    call_date: date | None = None
    exception: str | None = None
    in_reply_to_consumer_contact: bool = False
    known_location: str | None = None
    reviewer: str | None = None
    significant_effect: bool = True
    automated: bool = False  # decided solely by automated processing (GDPR Art. 22)
    paid_in_full_on: date | None = None

    @field_validator("debt_ids", mode="before")
    @classmethod
    def _debt_ids(cls, value: Any) -> Any:
        return _ids(value)

    @field_validator("address_id", mode="before")
    @classmethod
    def _addr(cls, value: Any) -> Any:
        return None if value is None else str(value)

"""Core tables: customers and contact points, debts and cases, the ledger, contact history, the outbox,
staff users and tokens, idempotency records and import runs.

Conventions: money is BIGINT minor units + CHAR(3) currency; instants are `UtcDateTime`; personal data
is stored only encrypted (`*_enc`, AES-GCM with the key id in the blob) with a keyed hash (`*_hash`) for
exact look-ups; outside ids are `external_id` under a unique constraint.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.types import UtcDateTime

__all__ = [
    "api_tokens",
    "case_status_changes",
    "contact_events",
    "customer_addresses",
    "customer_emails",
    "customer_phones",
    "customers",
    "debts",
    "idempotency_records",
    "import_runs",
    "ledger_entries",
    "outbox_messages",
    "users",
]

customers = Table(
    "customers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("name_enc", LargeBinary, nullable=False),
    Column("dob_enc", LargeBinary),
    Column("preferred_language", String(8), nullable=False, server_default="en"),
    Column("flags", String(200), nullable=False, server_default=""),  # comma-separated CustomerFlag values
    Column("tz_candidates", String(200), nullable=False, server_default=""),  # comma-separated IANA zones
    Column("stated_tz", String(64)),
    Column("customer_since", Date),
    Column("row_hash", String(64), nullable=False),  # hash of the imported row: unchanged rows are skipped
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

customer_phones = Table(
    "customer_phones",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("number_enc", LargeBinary, nullable=False),
    Column("number_hash", String(64), nullable=False, index=True),
    Column("area_code", String(3)),  # NANP area code, kept clear for time-zone rules
    Column("type", String(24), nullable=False),
    Column("provenance", String(40), nullable=False, server_default="creditor_provided"),
    Column("tcpa_consent", Boolean, nullable=False, server_default="0"),
    Column("consent_at", UtcDateTime),
    Column("consent_source", String(100)),
    Column("opted_out", Boolean, nullable=False, server_default="0"),
    Column("wrong_number", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("customer_id", "number_hash", name="uq_customer_phones_customer_number"),
)

customer_emails = Table(
    "customer_emails",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("address_enc", LargeBinary, nullable=False),
    Column("address_hash", String(64), nullable=False, index=True),
    Column("provenance", String(40), nullable=False, server_default="creditor_notice"),
    Column("opted_out", Boolean, nullable=False, server_default="0"),
    Column("bounced", Boolean, nullable=False, server_default="0"),
    Column("domain_public", Boolean, nullable=False, server_default="1"),
    Column("employer_provided_known", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("customer_id", "address_hash", name="uq_customer_emails_customer_address"),
)

customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("line1_enc", LargeBinary, nullable=False),
    Column("line2_enc", LargeBinary),
    Column("city_enc", LargeBinary, nullable=False),
    # State, ZIP and country stay clear: the compliance guard and the cycle need them in bulk (time
    # zones, state rules), and alone they do not identify a person.
    Column("state", String(8)),
    Column("postal_code", String(16), nullable=False),
    Column("country", String(2), nullable=False, server_default="US"),
    Column("place", String(16), nullable=False, server_default="home"),
    Column("undeliverable", Boolean, nullable=False, server_default="0"),
)

debts = Table(
    "debts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("creditor", String(200), nullable=False),
    Column("product", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("original_minor", BigInteger, nullable=False),
    Column("jurisdiction", String(16), nullable=False, server_default="US"),
    Column("opened_on", Date),
    Column("charge_off_date", Date),
    Column("sol_date", Date),
    Column("due_schedule", Text, nullable=False, server_default="[]"),  # JSON [[iso_date, minor], ...]
    Column("status", String(24), nullable=False, server_default="current"),
    Column("status_changed_at", UtcDateTime),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("row_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("original_minor >= 0", name="original_non_negative"),
)

case_status_changes = Table(
    "case_status_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id"), nullable=False, index=True),
    Column("from_status", String(24), nullable=False),
    Column("to_status", String(24), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("actor", String(100), nullable=False, server_default="system"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("component", String(16)),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
    Column("reverses_id", BigInteger, ForeignKey("ledger_entries.id")),
    Column("external_id", String(100), unique=True),
    Column("idempotency_key", String(200), unique=True),
    Column("source", String(24), nullable=False, server_default="import"),
    Column("memo", String(500), nullable=False, server_default=""),
    Index("ix_ledger_entries_debt_date", "debt_id", "effective_date"),
    # An entry is reversed at most once: the database refuses a second reversal even under a race.
    Index("ux_ledger_entries_reverses_id", "reverses_id", unique=True),
)

contact_events = Table(
    "contact_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("external_id", String(100), unique=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("debt_id", BigInteger, ForeignKey("debts.id")),  # the debt the contact is attributed to
    Column("debt_ids", Text, nullable=False, server_default="[]"),  # JSON list: all debts attributed
    Column("type", String(40), nullable=False),  # RULES.md 6.2 event type (call_placed, text_sent, dispute, ...)
    Column("channel", String(16)),  # call, sms, email, letter, portal, or null for non-contact events
    Column("at", UtcDateTime, nullable=False),  # when the collector learned of it
    Column("outcome", String(40)),
    Column("right_party", Boolean, nullable=False, server_default="0"),
    Column("payload", Text, nullable=False, server_default="{}"),  # the rest of the RULES.md 6.2 fields, JSON
    Index("ix_contact_events_customer_at", "customer_id", "at"),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("message_key", String(200), nullable=False, unique=True),  # deterministic: a decision sends once
    # no foreign key: per-row checks on the cycle's bulk append cost more than the write (migration 0003)
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("debt_ids", Text, nullable=False, server_default="[]"),
    Column("channel", String(16), nullable=False),  # sms, email, letter, call_task, agency, review
    Column("template_id", String(100)),
    Column("language", String(8), nullable=False, server_default="en"),
    Column("scheduled_at", UtcDateTime, nullable=False),  # earliest allowed local time, as UTC
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
    Column("claimed_by", String(100)),
    Column("claimed_at", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("provider_id", String(200)),
    Column("last_error", String(1000)),
    Column("decision_id", BigInteger),
    Column("source", String(24), nullable=False, server_default="cycle"),
    Column("payload", Text, nullable=False, server_default="{}"),
    Column("created_at", UtcDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(24), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked", Boolean, nullable=False, server_default="0"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("scope", String(100), nullable=False),  # the endpoint, e.g. "POST /api/v1/ledger"
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),
)

import_runs = Table(
    "import_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("filename", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_inserted", Integer, nullable=False, server_default="0"),
    Column("rows_updated", Integer, nullable=False, server_default="0"),
    Column("rows_unchanged", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
)

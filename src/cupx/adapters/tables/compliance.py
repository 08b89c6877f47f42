"""Tables of the compliance area: guard audit records (append-only hash chain, RULES.md §7.6),
purge checkpoints (C-15/C-17) and presumption overrides (C-7)."""

from sqlalchemy import BigInteger, Column, Date, Integer, String, Table, Text

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.types import UtcDateTime

__all__ = ["guard_audit_checkpoints", "guard_audit_records", "guard_overrides", "metadata"]

guard_audit_records = Table(
    "guard_audit_records", metadata,
    # position in the chain, 1-based, gap-free; the key (on SQLite the rowid itself), given by the appender
    Column("seq", BigId, primary_key=True, autoincrement=False),
    Column("decision_id", String(64), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("customer_id", BigInteger, nullable=True, index=True),
    Column("debt_ids", Text, nullable=False, server_default=""),  # comma-joined, for per-debt export
    Column("action_type", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("reason_codes", Text, nullable=False, server_default=""),
    Column("retain_until", Date, nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON of the §7.6 record
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

guard_audit_checkpoints = Table(
    "guard_audit_checkpoints", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),  # last purged seq
    Column("hash", String(64), nullable=False),  # its hash: the prev_hash of seq + 1
    Column("purged", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

guard_overrides = Table(
    "guard_overrides", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("decision_id", String(64), nullable=False, index=True),
    Column("username", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("codes", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

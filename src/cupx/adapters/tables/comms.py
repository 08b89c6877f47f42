"""Tables of the communications area.

- `message_templates`: every saved version of a template, keyed (template_id, channel, language,
  version); a new save never overwrites, it adds version n+1 (the old text stays for the audit trail:
  the outbox row and the contact event record which version was sent).
- `call_tasks`: calls (and supervisor reviews) the dispatcher hands to the agent desk; one per outbox
  row (`outbox_id` unique), so a re-run of the dispatcher never makes a second task.
- `inbound_messages`: SMS and email events received from providers; `provider_id` is unique so a
  provider's webhook retry is a no-op. Bodies are personal data and are stored encrypted.
- Partial indexes on `outbox_messages` (a core table), each holding only the rows its query looks for, so
  the cycle's bulk append of pending rows maintains no more than it must and sent rows leave the claim
  indexes: `provider_id` where set (delivery receipts find their row); (scheduled_at, id) of pending
  rows (a dispatcher's claim reads due rows in order) and (channel, scheduled_at, id) of pending rows
  (a dispatcher of some channels reads theirs without skipping the other channels' due rows);
  (scheduled_at, id) of claimed rows (expired leases); created_at of blocked rows (the KPI report).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal,
    text,
)
from sqlalchemy.sql.elements import BindParameter

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.tables.core import outbox_messages
from cupx.adapters.types import UtcDateTime

__all__ = ["call_tasks", "inbound_messages", "message_templates", "metadata"]

message_templates = Table(
    "message_templates",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("template_id", String(100), nullable=False),
    Column("channel", String(16), nullable=False),  # sms, email, letter, call_task
    Column("language", String(8), nullable=False),
    Column("version", Integer, nullable=False),
    Column("purpose", String(40), nullable=False, server_default="collection"),
    Column("jurisdictions", String(100), nullable=False, server_default="US"),  # comma-separated
    Column("flags", String(200), nullable=False, server_default=""),  # content flags (RULES.md 6.3)
    Column("subject", String(300), nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(100), nullable=False, server_default="system"),
    UniqueConstraint("template_id", "channel", "language", "version", name="uq_message_templates_version"),
)

call_tasks = Table(
    "call_tasks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("outbox_id", BigInteger, ForeignKey("outbox_messages.id"), nullable=False, unique=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("debt_ids", Text, nullable=False, server_default="[]"),
    Column("kind", String(16), nullable=False, server_default="call"),  # call (agent desk) or review (supervisor)
    Column("status", String(16), nullable=False, server_default="open"),  # open, done, cancelled
    Column("script", Text, nullable=False, server_default=""),
    Column("template_id", String(100)),
    Column("template_version", Integer),
    Column("due_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("assigned_to", String(100)),
    Column("completed_at", UtcDateTime),
    Column("outcome", String(40)),
    Index("ix_call_tasks_status_due", "status", "due_at"),
)

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("provider_id", String(200), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),  # sms, email
    Column("kind", String(24), nullable=False),  # opt_out, help, message, bounce, complaint
    Column("from_hash", String(64), nullable=False),  # keyed hash of the sender's number or address
    Column("customer_id", BigInteger, ForeignKey("customers.id")),
    Column("body_enc", LargeBinary),
    Column("handled", Boolean, nullable=False, server_default="1"),
    Column("received_at", UtcDateTime, nullable=False),
)

def status_literal(status: str) -> BindParameter[str]:
    """An outbox status rendered as a literal in the SQL text, as the partial indexes below state it: a
    plan made for unknown parameter values (a PostgreSQL generic plan, used once a statement is prepared)
    cannot match an index predicate against a bound parameter."""
    return literal(status, String, literal_execute=True)


def _outbox_index(name: str, *columns: str, where: str) -> Index:
    """A partial index on outbox_messages, with the same predicate on both databases."""
    return Index(name, *(outbox_messages.c[c] for c in columns), postgresql_where=text(where),
                 sqlite_where=text(where))


_outbox_index("ix_outbox_messages_provider_id", "provider_id", where="provider_id IS NOT NULL")
_outbox_index("ix_outbox_messages_due", "scheduled_at", "id", where="status = 'pending'")
_outbox_index("ix_outbox_messages_due_channel", "channel", "scheduled_at", "id", where="status = 'pending'")
_outbox_index("ix_outbox_messages_claimed", "scheduled_at", "id", where="status = 'claimed'")
_outbox_index("ix_outbox_messages_blocked", "created_at", where="status = 'blocked'")

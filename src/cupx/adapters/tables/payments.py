"""Tables of the payments and arrangements area (contract C4).

- `payments`: money received from a customer; `idempotency_key` is unique so a retried post is a no-op.
  Its effect on debts is one `ledger_entries` row (kind payment, source 'payment') per debt it was
  allocated to, remembered in `payment_allocations`; what no debt could take is `credit_minor`.
- `promises`: promises to pay, resolved kept/broken by the nightly cycle (`resolve_promises`).
- `payment_plans` + `plan_instalments`: plans and settlements (kind plan|settlement) and their schedule.
- `breathing_spaces`: hardship holds (breathing space, forbearance) per customer or debt.
- `ie_statements`: income-and-expenditure statements behind affordability checks.
- `payment_webhook_events`: processor event ids already handled (replays are ignored).
- `debt_reagings`: re-ageing decisions after consecutive on-time payments.
- `arrangement_events`: append-only record of every state change in the area (domain events).

Money is BIGINT minor units + 3-letter currency; instants `UtcDateTime`; dates `Date`.
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
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.types import UtcDateTime

__all__ = [
    "arrangement_events",
    "breathing_spaces",
    "debt_reagings",
    "ie_statements",
    "metadata",
    "payment_allocations",
    "payment_plans",
    "payment_webhook_events",
    "payments",
    "plan_instalments",
    "promises",
]

payments = Table(
    "payments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("method", String(24), nullable=False),  # card, ach, cash, check, bank_transfer, ...
    Column("reference", String(200), nullable=False, server_default=""),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default="posted"),  # posted | reversed
    Column("credit_minor", BigInteger, nullable=False, server_default="0"),  # overpayment held as credit
    Column("source", String(24), nullable=False, server_default="api"),  # api, webhook, import, cli, sim
    Column("instructed", Boolean, nullable=False, server_default="0"),  # the customer directed the allocation
    Column("plan_id", BigInteger),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reversed_at", UtcDateTime),
    Column("reversal_reason", String(200)),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

payment_allocations = Table(
    "payment_allocations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("payment_id", BigInteger, ForeignKey("payments.id"), nullable=False, index=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id"), nullable=False, index=True),
    Column("ledger_entry_id", BigInteger, ForeignKey("ledger_entries.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("effective_date", Date, nullable=False),
)

promises = Table(
    "promises",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id")),  # null: the promise covers all the customer's debts
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("promised_on", Date, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),  # pending|kept|broken|cancelled
    Column("channel", String(16), nullable=False, server_default="call"),
    Column("taken_by", String(100), nullable=False, server_default="system"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),  # received towards it at resolution
    Column("queue_status", String(16)),  # broken-promise queue: open | worked
    Column("worked_at", UtcDateTime),
    Column("worked_by", String(100)),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index("ix_promises_status_promised_on", "status", "promised_on"),
)

payment_plans = Table(
    "payment_plans",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id")),
    Column("kind", String(16), nullable=False),  # plan | settlement
    Column("status", String(24), nullable=False),  # proposed|pending_approval|active|completed|broken|cancelled
    Column("total_minor", BigInteger, nullable=False),  # what the plan collects
    Column("balance_minor", BigInteger, nullable=False),  # what was owed when agreed
    Column("currency", String(3), nullable=False),
    Column("frequency", String(16), nullable=False),  # weekly | fortnightly | monthly
    Column("first_due_on", Date, nullable=False),
    Column("instalment_count", Integer, nullable=False),
    Column("segment", String(40), nullable=False, server_default="default"),
    Column("freeze_interest", Boolean, nullable=False, server_default="0"),
    Column("discount_bp", Integer, nullable=False, server_default="0"),  # settlement discount, basis points
    Column("requested_by", String(100), nullable=False, server_default="system"),
    Column("requested_role", String(24), nullable=False, server_default="agent"),
    Column("approved_by", String(100)),
    Column("approved_at", UtcDateTime),
    Column("consecutive_misses", Integer, nullable=False, server_default="0"),
    Column("consecutive_on_time", Integer, nullable=False, server_default="0"),
    Column("reaged", Boolean, nullable=False, server_default="0"),
    Column("statement_id", BigInteger),
    Column("letter_path", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(200)),
    Column("version", Integer, nullable=False, server_default="0"),
    CheckConstraint("total_minor > 0", name="total_positive"),
    Index("ix_payment_plans_status", "status"),
)

plan_instalments = Table(
    "plan_instalments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("plan_id", BigInteger, ForeignKey("payment_plans.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, server_default="due"),  # due | paid | missed | deferred
    Column("paid_on", Date),
    UniqueConstraint("plan_id", "seq", name="uq_plan_instalments_plan_seq"),
    Index("ix_plan_instalments_status_due_on", "status", "due_on"),
)

breathing_spaces = Table(
    "breathing_spaces",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id")),  # null: every debt of the customer
    Column("kind", String(24), nullable=False, server_default="breathing_space"),  # or forbearance option
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),  # active | ended | cancelled
    Column("created_by", String(100), nullable=False, server_default="system"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)

ie_statements = Table(
    "ie_statements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("income_minor", BigInteger, nullable=False),  # monthly
    Column("expenditure_minor", BigInteger, nullable=False),  # monthly, priority debts included
    Column("lines", Text, nullable=False, server_default="{}"),  # JSON {category: minor}
    Column("taken_by", String(100), nullable=False, server_default="system"),
    Column("taken_on", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

payment_webhook_events = Table(
    "payment_webhook_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("payment_id", BigInteger),
    Column("received_at", UtcDateTime, nullable=False),
)

debt_reagings = Table(
    "debt_reagings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id"), nullable=False, index=True),
    Column("plan_id", BigInteger, ForeignKey("payment_plans.id")),
    Column("reaged_on", Date, nullable=False),
    Column("on_time_payments", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

arrangement_events = Table(
    "arrangement_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_type", String(60), nullable=False),  # past tense: PaymentPosted, PromiseBroken, ...
    Column("aggregate", String(24), nullable=False),  # payment, promise, plan, settlement, hardship
    Column("aggregate_id", BigInteger, nullable=False),
    Column("customer_id", BigInteger, index=True),
    Column("actor", String(100), nullable=False, server_default="system"),
    Column("at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False, server_default="{}"),
    Index("ix_arrangement_events_aggregate", "aggregate", "aggregate_id"),
)

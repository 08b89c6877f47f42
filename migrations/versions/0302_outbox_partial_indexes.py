"""comms: the outbox's status indexes become partial indexes of the rows each query looks for.

The nightly cycle appends every contact of the night as a pending row in one bulk write, and each index
on the outbox is maintained row by row. (status, channel, scheduled_at, id) and (status, scheduled_at)
held every row ever queued, although the dispatcher only reads pending rows (due, in schedule order) and
claimed rows (expired leases); provider_id is empty until a message is sent. Seen at 684,067 cycle rows
on PostgreSQL: the outbox append took 5.2 s with the old indexes and 4.4 s with these, and sent rows
now leave the claim indexes instead of growing them night after night.

Revision ID: 0302
Revises: 0301
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0302"
down_revision: str | Sequence[str] | None = "0301"
branch_labels: str | Sequence[str] | None = None
# after the core branch's rebuild of outbox_messages (0003), which would not keep partial indexes on SQLite
depends_on: str | Sequence[str] | None = "0003"

_PARTIAL = {
    "ix_outbox_messages_due": (["scheduled_at", "id"], "status = 'pending'"),
    "ix_outbox_messages_due_channel": (["channel", "scheduled_at", "id"], "status = 'pending'"),
    "ix_outbox_messages_claimed": (["scheduled_at", "id"], "status = 'claimed'"),
    "ix_outbox_messages_blocked": (["created_at"], "status = 'blocked'"),
    "ix_outbox_messages_provider_id": (["provider_id"], "provider_id IS NOT NULL"),
}


def upgrade() -> None:
    op.drop_index("ix_outbox_messages_claim", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_status_scheduled", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_provider_id", table_name="outbox_messages")
    for name, (columns, where) in _PARTIAL.items():
        op.create_index(name, "outbox_messages", columns, postgresql_where=sa.text(where),
                        sqlite_where=sa.text(where))


def downgrade() -> None:
    for name in _PARTIAL:
        op.drop_index(name, table_name="outbox_messages")
    op.create_index("ix_outbox_messages_provider_id", "outbox_messages", ["provider_id"])
    op.create_index("ix_outbox_messages_status_scheduled", "outbox_messages", ["status", "scheduled_at"])
    op.create_index("ix_outbox_messages_claim", "outbox_messages", ["status", "channel", "scheduled_at", "id"])

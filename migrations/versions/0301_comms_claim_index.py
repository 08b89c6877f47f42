"""comms: outbox claim index (status, channel, scheduled_at, id)

Revision ID: 0301
Revises: 0300
Create Date: 2026-12-03 18:50:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0301'
down_revision: str | Sequence[str] | None = '0300'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_messages_claim', 'outbox_messages', ['status', 'channel', 'scheduled_at', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_messages_claim', table_name='outbox_messages')

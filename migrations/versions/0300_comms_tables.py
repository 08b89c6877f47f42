"""comms tables: message templates (versioned), call tasks, inbound messages; outbox provider-id index

Revision ID: 0300
Revises: 0001
Create Date: 2026-12-03 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cupx.adapters.types

revision: str = '0300'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = ('comms',)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('message_templates',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('template_id', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), server_default='collection', nullable=False),
    sa.Column('jurisdictions', sa.String(length=100), server_default='US', nullable=False),
    sa.Column('flags', sa.String(length=200), server_default='', nullable=False),
    sa.Column('subject', sa.String(length=300), server_default='', nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), server_default='system', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('template_id', 'channel', 'language', 'version', name='uq_message_templates_version')
    )
    op.create_table('call_tasks',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('outbox_id', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('debt_ids', sa.Text(), server_default='[]', nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='call', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('script', sa.Text(), server_default='', nullable=False),
    sa.Column('template_id', sa.String(length=100), nullable=True),
    sa.Column('template_version', sa.Integer(), nullable=True),
    sa.Column('due_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('assigned_to', sa.String(length=100), nullable=True),
    sa.Column('completed_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_call_tasks_customer_id_customers')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_messages.id'], name=op.f('fk_call_tasks_outbox_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_tasks')),
    sa.UniqueConstraint('outbox_id', name=op.f('uq_call_tasks_outbox_id'))
    )
    op.create_index('ix_call_tasks_status_due', 'call_tasks', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_call_tasks_customer_id'), 'call_tasks', ['customer_id'], unique=False)
    op.create_table('inbound_messages',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('provider_id', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('from_hash', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=True),
    sa.Column('body_enc', sa.LargeBinary(), nullable=True),
    sa.Column('handled', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('received_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_inbound_messages_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_inbound_messages_provider_id'))
    )
    op.create_index('ix_outbox_messages_provider_id', 'outbox_messages', ['provider_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_messages_provider_id', table_name='outbox_messages')
    op.drop_table('inbound_messages')
    op.drop_index(op.f('ix_call_tasks_customer_id'), table_name='call_tasks')
    op.drop_index('ix_call_tasks_status_due', table_name='call_tasks')
    op.drop_table('call_tasks')
    op.drop_table('message_templates')

"""compliance tables: guard audit records (hash chain), checkpoints, overrides

Revision ID: 0100
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cupx.adapters.types

revision: str = '0100'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = ('compliance',)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'guard_audit_records',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('decision_id', sa.String(length=64), nullable=False),
        sa.Column('at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('customer_id', sa.BigInteger(), nullable=True),
        sa.Column('debt_ids', sa.Text(), server_default='', nullable=False),
        sa.Column('action_type', sa.String(length=40), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('reason_codes', sa.Text(), server_default='', nullable=False),
        sa.Column('retain_until', sa.Date(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guard_audit_records')),
        sa.UniqueConstraint('seq', name=op.f('uq_guard_audit_records_seq')),
        sa.UniqueConstraint('decision_id', name=op.f('uq_guard_audit_records_decision_id')),
    )
    op.create_index(op.f('ix_guard_audit_records_customer_id'), 'guard_audit_records', ['customer_id'])
    op.create_table(
        'guard_audit_checkpoints',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('purged', sa.Integer(), nullable=False),
        sa.Column('at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guard_audit_checkpoints')),
    )
    op.create_table(
        'guard_overrides',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('decision_id', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('codes', sa.Text(), nullable=False),
        sa.Column('at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guard_overrides')),
    )
    op.create_index(op.f('ix_guard_overrides_decision_id'), 'guard_overrides', ['decision_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_guard_overrides_decision_id'), table_name='guard_overrides')
    op.drop_table('guard_overrides')
    op.drop_table('guard_audit_checkpoints')
    op.drop_index(op.f('ix_guard_audit_records_customer_id'), table_name='guard_audit_records')
    op.drop_table('guard_audit_records')

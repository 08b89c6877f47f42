"""simulator tables: surveys (CSAT) and sim_runs

Revision ID: 0600
Revises: 0001
Create Date: 2026-12-03 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cupx.adapters.types

revision: str = '0600'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = ('sim',)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('surveys',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('debt_id', sa.BigInteger(), nullable=True),
    sa.Column('resolution', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('answered_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), server_default='sim', nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_surveys_customer_id_customers')),
    sa.ForeignKeyConstraint(['debt_id'], ['debts.id'], name=op.f('fk_surveys_debt_id_debts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    op.create_index('ix_surveys_answered_at', 'surveys', ['answered_at'], unique=False)
    op.create_table('sim_runs',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('days_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sim_runs'))
    )


def downgrade() -> None:
    op.drop_table('sim_runs')
    op.drop_index('ix_surveys_answered_at', table_name='surveys')
    op.drop_table('surveys')

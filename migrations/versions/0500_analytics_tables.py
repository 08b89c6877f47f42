"""analytics tables: monthly statements and the model registry

Revision ID: 0500
Revises: 0001
Create Date: 2026-12-03 17:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cupx.adapters.types

revision: str = '0500'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = ('analytics',)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('statements',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('debt_id', sa.BigInteger(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('billed_minor', sa.BigInteger(), nullable=True),
    sa.Column('paid_minor', sa.BigInteger(), nullable=True),
    sa.Column('months_late', sa.Integer(), nullable=True),
    sa.Column('credit_limit_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source', sa.String(length=24), server_default='import', nullable=False),
    sa.ForeignKeyConstraint(['debt_id'], ['debts.id'], name=op.f('fk_statements_debt_id_debts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    sa.UniqueConstraint('debt_id', 'period', name='uq_statements_debt_period')
    )
    op.create_table('models',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('created_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('trained_as_of', sa.Date(), nullable=True),
    sa.Column('artefact_path', sa.String(length=500), nullable=False),
    sa.Column('artefact_sha256', sa.String(length=64), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('features', sa.Text(), server_default='[]', nullable=False),
    sa.Column('metrics', sa.Text(), server_default='{}', nullable=False),
    sa.Column('library_versions', sa.Text(), server_default='{}', nullable=False),
    sa.Column('params', sa.Text(), server_default='{}', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('activated_at', cupx.adapters.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('activated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_models')),
    sa.UniqueConstraint('version', name=op.f('uq_models_version'))
    )


def downgrade() -> None:
    op.drop_table('models')
    op.drop_table('statements')

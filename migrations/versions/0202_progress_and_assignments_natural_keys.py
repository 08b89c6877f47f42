"""cycle: ladder_progress and experiment_assignments are keyed by their natural keys, without a surrogate id.

A night appends about a million progress rows and, on an experiment's first night, one assignment per
customer, and nothing refers to those rows by id. The id column cost a second unique index (and a
sequence value) per row: at 1M accounts on PostgreSQL, the progress append took 2.7 s with both indexes
and 1.8 s with the natural key alone, the assignments 1.8 s and 1.3 s. On SQLite the tables become
WITHOUT ROWID, so each row lives in its key's b-tree only.

Revision ID: 0202
Revises: 0201
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0202"
down_revision: str | Sequence[str] | None = "0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_KEYS = {
    "ladder_progress": ("uq_ladder_progress_key", ["on_date", "debt_id", "step_id", "kind"]),
    "experiment_assignments": ("uq_experiment_assignments_experiment_customer", ["experiment_id", "customer_id"]),
}


def upgrade() -> None:
    for table, (unique, key) in _KEYS.items():
        # recreated on SQLite (a primary key cannot change in place there), altered on PostgreSQL, where
        # dropping the id column drops its primary key
        with op.batch_alter_table(table, table_kwargs={"sqlite_with_rowid": False}) as batch:
            batch.drop_constraint(unique, type_="unique")
            batch.drop_column("id")
            batch.create_primary_key(f"pk_{table}", key)


def downgrade() -> None:
    for table, (unique, key) in _KEYS.items():
        if op.get_context().dialect.name != "sqlite":
            op.drop_constraint(f"pk_{table}", table, type_="primary")
            op.create_unique_constraint(unique, table, key)
            op.execute(f"ALTER TABLE {table} ADD COLUMN id BIGSERIAL")  # numbers the existing rows
            op.create_primary_key(f"pk_{table}", table, ["id"])
            continue
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_with_rowid": True}) as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_unique_constraint(unique, key)
            batch.add_column(sa.Column("id", _ID, autoincrement=True, nullable=False, primary_key=True))

"""compliance: guard_audit_records is keyed by its chain position `seq`, without a surrogate id.

`seq` was already unique, gap-free and given by the appender, so the id column only cost a second unique
index per record. The nightly cycle appends one record per contact (684,067 at 1M accounts): on
PostgreSQL that append took 4.1 s with both indexes and 3.4 s without the id's. On SQLite `seq` becomes
an INTEGER PRIMARY KEY, the rowid itself.

Revision ID: 0101
Revises: 0100
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101"
down_revision: str | Sequence[str] | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # recreated on SQLite (a primary key cannot change in place there), altered on PostgreSQL, where
    # dropping the id column drops its primary key
    with op.batch_alter_table("guard_audit_records") as batch:
        batch.drop_constraint("uq_guard_audit_records_seq", type_="unique")
        batch.drop_column("id")
        if op.get_context().dialect.name == "sqlite":  # exactly INTEGER, so that it is the rowid alias
            batch.alter_column("seq", type_=sa.Integer(), existing_nullable=False)
        batch.create_primary_key("pk_guard_audit_records", ["seq"])


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint("pk_guard_audit_records", "guard_audit_records", type_="primary")
        op.create_unique_constraint("uq_guard_audit_records_seq", "guard_audit_records", ["seq"])
        op.execute("ALTER TABLE guard_audit_records ADD COLUMN id BIGSERIAL")  # numbers the existing rows
        op.create_primary_key("pk_guard_audit_records", "guard_audit_records", ["id"])
        return
    with op.batch_alter_table("guard_audit_records", recreate="always") as batch:
        batch.drop_constraint("pk_guard_audit_records", type_="primary")
        batch.alter_column("seq", type_=sa.BigInteger(), existing_nullable=False)
        batch.create_unique_constraint("uq_guard_audit_records_seq", ["seq"])
        batch.add_column(sa.Column("id", _ID, autoincrement=True, nullable=False, primary_key=True))

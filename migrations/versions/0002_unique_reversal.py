"""An entry is reversed at most once: unique index on ledger_entries.reverses_id.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ux_ledger_entries_reverses_id", "ledger_entries", ["reverses_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_ledger_entries_reverses_id", table_name="ledger_entries")

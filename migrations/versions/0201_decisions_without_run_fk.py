"""cycle_decisions.run_id no longer has a foreign key to cycle_runs.

A run writes one decision per open debt (a million a night) in one COPY; PostgreSQL checks a foreign key
with one trigger query per row, which more than doubled that write (seen: 2.2 s -> 1.0 s for 200k rows).
The run id comes from the run record the same run created before deciding, and runs are never deleted.

Revision ID: 0201
Revises: 0200
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0201"
down_revision: str | Sequence[str] | None = "0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_decisions") as batch:
        batch.drop_constraint("fk_cycle_decisions_run_id_cycle_runs", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("cycle_decisions") as batch:
        batch.create_foreign_key("fk_cycle_decisions_run_id_cycle_runs", "cycle_runs", ["run_id"], ["id"])

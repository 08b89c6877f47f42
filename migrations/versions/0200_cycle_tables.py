"""cycle tables: strategy registry, runs, decisions, experiment assignments, ladder progress

Revision ID: 0200
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cupx.adapters.types

revision: str = "0200"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("cycle",)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = cupx.adapters.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "strategy_versions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("strategy_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(500), server_default="", nullable=False),
        sa.Column("live", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(100), server_default="system", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_versions")),
        sa.UniqueConstraint("strategy_id", "version", name="uq_strategy_versions_strategy_version"),
    )
    op.create_table(
        "cycle_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("strategies", sa.Text(), server_default="[]", nullable=False),
        sa.Column("counts", sa.Text(), server_default="{}", nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.Column("last_error", sa.String(1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_runs")),
        sa.UniqueConstraint("as_of", name=op.f("uq_cycle_runs_as_of")),
    )
    op.create_table(
        "cycle_decisions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("debt_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("strategy_id", sa.String(64), nullable=True),
        sa.Column("strategy_version", sa.Integer(), nullable=True),
        sa.Column("segment", sa.String(64), nullable=True),
        sa.Column("experiment_id", sa.String(64), nullable=True),
        sa.Column("arm", sa.String(64), nullable=True),
        sa.Column("step_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("template_id", sa.String(100), nullable=True),
        sa.Column("reason_codes", sa.String(1000), server_default="", nullable=False),
        sa.Column("skipped_steps", sa.String(1000), server_default="", nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("risk_band", sa.String(2), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("message_key", sa.String(200), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["cycle_runs.id"], name=op.f("fk_cycle_decisions_run_id_cycle_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_decisions")),
        sa.UniqueConstraint("as_of", "debt_id", name="uq_cycle_decisions_as_of_debt"),
    )
    op.create_table(
        "experiment_assignments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("experiment_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("arm", sa.String(64), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_assignments")),
        sa.UniqueConstraint("experiment_id", "customer_id", name="uq_experiment_assignments_experiment_customer"),
    )
    op.create_table(
        "ladder_progress",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("debt_id", sa.BigInteger(), nullable=False),
        sa.Column("episode", sa.Date(), nullable=False),
        sa.Column("strategy_id", sa.String(64), nullable=False),
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(100), server_default="", nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ladder_progress")),
        sa.UniqueConstraint("on_date", "debt_id", "step_id", "kind", name="uq_ladder_progress_key"),
    )


def downgrade() -> None:
    op.drop_table("ladder_progress")
    op.drop_table("experiment_assignments")
    op.drop_table("cycle_decisions")
    op.drop_table("cycle_runs")
    op.drop_table("strategy_versions")

"""Tables of the nightly cycle (contract C5).

- `strategy_versions`: the strategy registry. Each registered YAML text is kept verbatim with its
  sha256; `live` marks the versions the nightly run uses (at most one live version per strategy id).
- `cycle_runs`: one row per run date (`as_of` unique) with its phase and status, so a rerun of a
  completed date does nothing and a rerun of an interrupted one completes it.
- `cycle_decisions`: every decision of a run, one per debt, including no_action, hold and blocked,
  with strategy version, segment, arm, step, reason codes, skipped steps and score. (as_of, debt_id) is
  unique: a decision is written once.
- `experiment_assignments`: the arm each customer got in each experiment (stable across nights).
- `ladder_progress`: append-only progress on ladders: one row per step tried (`attempt`) or skipped
  because its conditions were false (`skip`) in a delinquency episode (keyed by the unpaid due date).
  Expired steps are not stored: expiry is recomputed every night from the episode's due offset.

The two tables a night appends most rows to after the decisions (a million progress rows and, on an
experiment's first night, an assignment per customer) are keyed by their natural keys, with no surrogate
id: each row costs one index entry, not two, and on SQLite the rows live in that key's b-tree (WITHOUT
ROWID). Nothing refers to their rows from elsewhere.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.types import UtcDateTime

__all__ = ["cycle_decisions", "cycle_runs", "experiment_assignments", "ladder_progress", "metadata",
           "strategy_versions"]

strategy_versions = Table(
    "strategy_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("strategy_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("source", String(500), nullable=False, server_default=""),
    Column("live", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(100), nullable=False, server_default="system"),
    UniqueConstraint("strategy_id", "version", name="uq_strategy_versions_strategy_version"),
)

cycle_runs = Table(
    "cycle_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # started | completed
    Column("phase", String(16), nullable=False),  # load | decide | write | done (last phase reached)
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("strategies", Text, nullable=False, server_default="[]"),  # JSON [[id, version, sha256], ...]
    Column("counts", Text, nullable=False, server_default="{}"),  # JSON summary
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("last_error", String(1000)),
)

cycle_decisions = Table(
    "cycle_decisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # no foreign key: a per-row check on a million-row COPY costs more than the write (migration 0201)
    Column("run_id", BigInteger, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("debt_id", BigInteger, nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("decision", String(16), nullable=False),  # cupx.strategy.vocabulary.DecisionKind
    Column("strategy_id", String(64)),
    Column("strategy_version", Integer),
    Column("segment", String(64)),
    Column("experiment_id", String(64)),
    Column("arm", String(64)),
    Column("step_id", String(64)),
    Column("channel", String(16)),
    Column("template_id", String(100)),
    Column("reason_codes", String(1000), nullable=False, server_default=""),  # comma-separated
    Column("skipped_steps", String(1000), nullable=False, server_default=""),  # "step:reason,..." skipped now
    Column("score", Float),  # probability of paying or curing in 30 days (not money)
    Column("risk_band", String(2)),
    Column("model_version", String(64)),
    Column("message_key", String(200)),  # the outbox message this debt rides in, if any
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("as_of", "debt_id", name="uq_cycle_decisions_as_of_debt"),
)

experiment_assignments = Table(
    "experiment_assignments",
    metadata,
    Column("experiment_id", String(64), nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("arm", String(64), nullable=False),
    Column("assigned_on", Date, nullable=False),
    PrimaryKeyConstraint("experiment_id", "customer_id", name="pk_experiment_assignments"),
    sqlite_with_rowid=False,
)

ladder_progress = Table(
    "ladder_progress",
    metadata,
    Column("debt_id", BigInteger, nullable=False),
    Column("episode", Date, nullable=False),  # due date of the oldest unpaid instalment
    Column("strategy_id", String(64), nullable=False),
    Column("step_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # attempt | skip
    Column("on_date", Date, nullable=False),
    Column("reason", String(100), nullable=False, server_default=""),
    Column("run_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("on_date", "debt_id", "step_id", "kind", name="pk_ladder_progress"),
    sqlite_with_rowid=False,
)

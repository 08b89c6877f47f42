"""Tables of the analytics area.

- `statements`: monthly account statements (one row per debt and month; `period` is the first day of
  the month): billed and paid minor units, months late (>= 1 behind, 0 minimum paid, -1 paid in full,
  -2 no use), the credit limit when the product has one. Amounts may be NULL when only the repayment
  status of a month is known (the outcome month of the UCI data set).
- `models`: the model registry: one row per trained model version, its artefact (a file under
  `settings.data_dir/models`, with its SHA-256), training-data hash, feature list, metrics and library
  versions as JSON; at most one row is `active` (chosen explicitly with `cupx model activate`).
"""

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.types import UtcDateTime

__all__ = ["metadata", "models", "statements"]

statements = Table(
    "statements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("debt_id", BigInteger, ForeignKey("debts.id"), nullable=False),
    Column("period", Date, nullable=False),  # first day of the statement month
    Column("billed_minor", BigInteger),
    Column("paid_minor", BigInteger),
    Column("months_late", Integer),
    Column("credit_limit_minor", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("source", String(24), nullable=False, server_default="import"),
    UniqueConstraint("debt_id", "period", name="uq_statements_debt_period"),
)

models = Table(
    "models",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("trained_as_of", Date),
    Column("artefact_path", String(500), nullable=False),  # relative to settings.data_dir
    Column("artefact_sha256", String(64), nullable=False),
    Column("data_hash", String(64), nullable=False),
    Column("features", Text, nullable=False, server_default="[]"),  # JSON list of feature names
    Column("metrics", Text, nullable=False, server_default="{}"),  # JSON
    Column("library_versions", Text, nullable=False, server_default="{}"),  # JSON
    Column("params", Text, nullable=False, server_default="{}"),  # JSON hyperparameters
    Column("active", Boolean, nullable=False, server_default="0"),
    Column("activated_at", UtcDateTime),
    Column("activated_by", String(100)),
)

"""Tables of the simulator and KPI area.

- `surveys`: post-resolution satisfaction answers (CSAT, 1..5). CU-PX has no other survey source yet,
  so the portfolio simulator answers them for customers whose case it resolved (paid, plan, settled,
  dispute handled); `source` says who answered ('sim' or 'portal').
- `sim_runs`: the state of a simulation on this database (seed, size, start date, last simulated day),
  so `cupx sim run --days D` continues where the last run stopped and rebuilds the same personas.
"""

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, SmallInteger, String, Table

from cupx.adapters.tables.base import BigId, metadata
from cupx.adapters.types import UtcDateTime

__all__ = ["sim_runs", "surveys"]

surveys = Table(
    "surveys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False),
    Column("debt_id", BigInteger, ForeignKey("debts.id")),
    Column("resolution", String(24), nullable=False),  # paid, plan, settled, promise, dispute, other
    Column("channel", String(16), nullable=False),  # channel of the contact that led to the resolution
    Column("score", SmallInteger, nullable=False),  # 1 (very dissatisfied) .. 5 (very satisfied)
    Column("answered_at", UtcDateTime, nullable=False),
    Column("source", String(16), nullable=False, server_default="sim"),
    Index("ix_surveys_answered_at", "answered_at"),
)

sim_runs = Table(
    "sim_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("seed", Integer, nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("start_on", Date, nullable=False),  # the portfolio's as-of date: simulation day 0
    Column("days_done", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False),
)

"""SQLAlchemy Core tables, one module per area, all on one `metadata`.

Each area module (core, compliance, cycle, comms, payments, analytics, sim) defines its tables on
`cupx.adapters.tables.base.metadata`; importing this package registers them all, which is what
Alembic's autogenerate comparison and the tests use. Migrations live in `migrations/versions`, one
branch per area off the core revision (`alembic upgrade heads`).
"""

from cupx.adapters.tables import analytics, comms, compliance, core, cycle, payments, sim
from cupx.adapters.tables.base import metadata

__all__ = ["analytics", "comms", "compliance", "core", "cycle", "metadata", "payments", "sim"]

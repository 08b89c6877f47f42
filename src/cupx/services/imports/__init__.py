"""Bulk imports of customers, debts, ledger entries and contact events (contract C9, docs/imports.md).

`import_file(runtime, kind, path, progress=None) -> ImportReport` validates a whole CSV or JSON Lines file
with Polars, rejects bad rows with reasons, and writes the good ones in one transaction through the
`ImportRepository` port (COPY on PostgreSQL, executemany on SQLite).
"""

from cupx.services.imports.ports import ImportReport, ImportRepository, Progress
from cupx.services.imports.service import ImportKind, import_file, rejects_path_for

__all__ = ["ImportKind", "ImportReport", "ImportRepository", "Progress", "import_file", "rejects_path_for"]

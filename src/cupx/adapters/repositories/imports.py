"""SQL implementation of the importer's port: chunked key look-ups and bulk writes.

Look-ups run `WHERE key IN (...)` in chunks on SQLite and `WHERE key = ANY(array)` on PostgreSQL (an
empty table is answered without a query); inserts go through `cupx.adapters.bulk` (COPY /
executemany); updates are one Core executemany by id. Everything runs on the unit of work's
connection, so a failure anywhere rolls the whole import back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, any_, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql

from cupx.adapters.bulk import allocate_ids, bulk_insert, polars_schema
from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables.base import metadata
from cupx.services.imports.ports import ImportRepository

__all__ = ["SqlImportRepository"]

_CHUNK = 5_000  # SQLite: bind parameters per IN list
_PG_CHUNK = 100_000  # PostgreSQL: keys per array parameter
_SCAN_ABOVE = 20_000  # more distinct keys than this: scan the table's columns instead


@implements(ImportRepository)
class SqlImportRepository(ImportRepository):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.connection = connection
        self.runtime = runtime
        self._empty: dict[str, bool] = {}

    def _is_empty(self, table: str) -> bool:
        if table not in self._empty:
            tbl = metadata.tables[table]
            self._empty[table] = self.connection.execute(select(tbl.c.id).limit(1)).first() is None
        return self._empty[table]

    def lookup(self, table: str, key: str, values: Sequence[Any], columns: Sequence[str]) -> pl.DataFrame:
        schema = polars_schema(table, columns)
        if len(values) == 0 or self._is_empty(table):  # a fresh table: nothing to look up
            return pl.DataFrame(schema=schema)
        distinct = pl.Series("k", values).drop_nulls().unique(maintain_order=True).to_list()  # C speed, not a dict
        tbl = metadata.tables[table]
        if len(distinct) > _SCAN_ABOVE:
            # Many keys: one scan of the needed columns beats thousands of bound parameters.
            scanned = self.connection.execute(select(*(tbl.c[c] for c in {key: None, **dict.fromkeys(columns)})))
            frame = pl.DataFrame(scanned.all(), schema=polars_schema(table, [key, *[c for c in columns if c != key]]),
                                 orient="row")
            wanted = pl.Series(distinct, dtype=frame.schema[key])
            return frame.filter(pl.col(key).is_in(wanted.implode())).select(columns)
        chunk = _CHUNK
        if self.connection.dialect.name == "postgresql":
            # One array parameter instead of thousands of bind parameters: far cheaper to render and send.
            chunk = _PG_CHUNK
            match = tbl.c[key] == any_(bindparam("keys", type_=postgresql.ARRAY(tbl.c[key].type)))
        else:
            match = tbl.c[key].in_(bindparam("keys", expanding=True))
        stmt = select(*(tbl.c[c] for c in columns)).where(match)
        rows: list[Any] = []
        for start in range(0, len(distinct), chunk):
            rows.extend(self.connection.execute(stmt, {"keys": distinct[start:start + chunk]}).all())
        return pl.DataFrame(rows, schema=schema, orient="row")

    def allocate_ids(self, table: str, n: int) -> int:
        return allocate_ids(self.connection, table, n)

    def insert(self, table: str, frame: pl.DataFrame) -> int:
        count = bulk_insert(self.connection, table, frame)
        if count:
            self._empty[table] = False
        return count

    def update(self, table: str, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        tbl = metadata.tables[table]
        cols = [c for c in frame.columns if c != "id"]
        stmt = update(tbl).where(tbl.c.id == bindparam("_id")).values({c: bindparam(c) for c in cols})
        params = [{"_id": r["id"], **{c: r[c] for c in cols}} for r in frame.iter_rows(named=True)]
        self.connection.execute(stmt, params)
        return frame.height

    def delete(self, table: str, column: str, values: Sequence[Any]) -> int:
        tbl = metadata.tables[table]
        total = 0
        for start in range(0, len(values), _CHUNK):
            result = self.connection.execute(delete(tbl).where(tbl.c[column].in_(list(values[start:start + _CHUNK]))))
            total += result.rowcount or 0
        return total

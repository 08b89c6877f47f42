"""Reading query results straight into Polars: COPY TO STDOUT on PostgreSQL, batched fetches on SQLite.

Each input of the cycle is ONE query. On SQLite, committed inputs are read with ADBC (Arrow in C) when
adbc-driver-sqlite is installed, else with batched fetches. Values are coerced to the target schema in Polars (dates and
instants from text, booleans from 0/1 or t/f), so no Python object is built per value on PostgreSQL
and only tuples of plain values on SQLite. Instants are selected as epoch microseconds on PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection

__all__ = ["coerce", "instant_sql", "read_frame"]

_SQLITE_BATCH = 250_000


def instant_sql(conn: Connection, column: str) -> str:
    """A select expression giving `column` in a form `coerce` turns into Datetime(us, UTC)."""
    if conn.dialect.name == "postgresql":
        return f"(extract(epoch from {column}) * 1000000)::bigint"
    return column


def coerce(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast each column to `schema` (by position); '' in a text column is null (see the COALESCE note)."""
    df = df.rename(dict(zip(df.columns, schema, strict=True)))
    exprs = []
    for name, dtype in schema.items():
        col, src = pl.col(name), df.schema[name]
        if src == pl.String():
            col = pl.when(col == "").then(None).otherwise(col).alias(name)
        if src == dtype:
            exprs.append(col)
        elif isinstance(dtype, pl.Datetime):
            if src.is_integer():
                exprs.append(col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
            else:
                exprs.append(col.cast(pl.String).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False)
                             .dt.replace_time_zone("UTC"))
        elif dtype == pl.Date():
            exprs.append(col.cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        elif dtype == pl.Boolean():
            exprs.append(col.cast(pl.String).str.to_lowercase().is_in(["t", "true", "1"]).fill_null(False)
                         if src == pl.String() or src == pl.Null() else col.cast(pl.Boolean))
        else:
            exprs.append(col.cast(dtype))
    return df.select(exprs)


def _read_postgres(conn: Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    raw = conn.connection.driver_connection
    assert raw is not None
    buf = io.BytesIO()
    with raw.cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
            for chunk in copy:
                buf.write(chunk)
    if buf.tell() == 0:
        return pl.DataFrame(schema=schema)
    buf.seek(0)
    return coerce(pl.read_csv(buf, infer_schema=False), schema)


def _sqlite_file(conn: Connection) -> str | None:
    db = conn.engine.url.database
    return db if db and db != ":memory:" and not db.startswith("file:") else None


def _read_sqlite_adbc(path: str, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    """Arrow straight from SQLite in C (adbc-driver-sqlite), or None when the driver is not installed.

    It reads through its own connection: fine for the cycle's inputs, which are committed data."""
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:
        return None
    with adbc.connect(path) as raw, raw.cursor() as cur:
        cur.execute(sql)
        df = pl.from_arrow(cur.fetch_arrow_table())
    assert isinstance(df, pl.DataFrame)
    return coerce(df, schema)


def _read_sqlite(conn: Connection, sql: str, schema: dict[str, pl.DataType], committed: bool) -> pl.DataFrame:
    path = _sqlite_file(conn)
    if committed and path is not None:
        fast = _read_sqlite_adbc(path, sql, schema)
        if fast is not None:
            return fast
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    names = list(schema)
    parts: list[pl.DataFrame] = []
    try:
        cur.execute(sql)
        while batch := cur.fetchmany(_SQLITE_BATCH):
            parts.append(coerce(pl.DataFrame(batch, schema=names, orient="row", infer_schema_length=None), schema))
    finally:
        cur.close()
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts)


def _literal(conn: Connection, value: Any) -> str:
    if isinstance(value, datetime):
        if conn.dialect.name == "sqlite":  # the text SQLAlchemy's SQLite DateTime stores (naive UTC)
            return "'" + value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
        return f"'{value.astimezone(UTC).isoformat()}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    return str(int(value))


def read_frame(conn: Connection, sql: str, schema: dict[str, pl.DataType], *, committed: bool = False,
               **params: Any) -> pl.DataFrame:
    """Run `sql` (parameters are dates or ints we generate, rendered as literals) into a frame.

    `committed`: only committed data is wanted, so SQLite may read through its own fast connection."""
    for key, value in params.items():
        sql = sql.replace(f":{key}", _literal(conn, value))
    if conn.dialect.name == "postgresql":
        return _read_postgres(conn, sql, schema)
    return _read_sqlite(conn, sql, schema, committed)

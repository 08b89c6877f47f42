"""Reading query results straight into Polars: COPY TO STDOUT on PostgreSQL, batched fetches on SQLite.

Each input of the cycle is ONE query. Values are coerced to the target schema in Polars (dates and
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
            else:  # epoch microseconds as CSV text (PostgreSQL) or SQLAlchemy's naive-UTC text (SQLite)
                text = col.cast(pl.String)
                exprs.append(pl.coalesce(text.cast(pl.Int64, strict=False).cast(pl.Datetime("us")),
                                         text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False))
                             .dt.replace_time_zone("UTC").alias(name))
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


def _read_sqlite(conn: Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    # Not ADBC: a second SQLite library in the same process on the same WAL file breaks POSIX locks and
    # can unmap the shared-memory index under sqlite3 (seen as SIGBUS); batched fetches are safe.
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    # What sqlite3 hands back: dates and instants as text, booleans as 0/1. Typed rows build 4x faster.
    raw_schema = {n: pl.String() if t in (pl.Date(), pl.String()) or isinstance(t, pl.Datetime)
                  else pl.Int64() if t == pl.Boolean() else t for n, t in schema.items()}
    parts: list[pl.DataFrame] = []
    try:
        cur.execute(sql)
        while batch := cur.fetchmany(_SQLITE_BATCH):
            parts.append(coerce(pl.DataFrame(batch, schema=raw_schema, orient="row"), schema))
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


def read_frame(conn: Connection, sql: str, schema: dict[str, pl.DataType], **params: Any) -> pl.DataFrame:
    """Run `sql` (parameters are dates or ints we generate, rendered as literals) into a frame."""
    for key, value in params.items():
        sql = sql.replace(f":{key}", _literal(conn, value))
    if conn.dialect.name == "postgresql":
        return _read_postgres(conn, sql, schema)
    return _read_sqlite(conn, sql, schema)

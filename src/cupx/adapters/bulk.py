"""Bulk writes: many rows into one table inside the caller's transaction, fast on both databases.

- `bulk_insert(connection, table, rows)` takes a `polars.DataFrame` (columns named like the table's) or
  an iterable of dicts / tuples. On PostgreSQL it streams the rows with `COPY ... FROM STDIN` in the
  binary format, encoded from Arrow by pgpq in native code (the server parses no text: a third less time
  than CSV for the cycle's rows, half for its JSON audit bodies); on SQLite it runs one `executemany` on the
  raw sqlite3 cursor, or from 50,000 rows copies them from a staging file written in C
  (`cupx.adapters.sqlite_staging`). It never commits: the rows land or vanish with the caller's
  transaction.
- `prepare_rows(dialect, table, rows)` does the work of a later `bulk_insert` that needs no connection
  (typing, conversion and, on SQLite, the staging file) and returns `PreparedRows`, which `bulk_insert`
  then takes as its rows. It may run on another thread while the connection inserts something else: a
  writer that inserts several large tables in turn overlaps each table's preparation with the previous
  table's insert (`prepared_ahead` runs the preparation on a helper thread and frees, on the way out,
  whatever was not inserted). Prepared rows are inserted once; `discard()` frees those that will not be.
- Values are converted to what SQLAlchemy's own types store, so reading back through the tables gives
  the same values as a Core insert would: dates as ISO text and instants as naive UTC text on SQLite
  (`UtcDateTime` puts UTC back on read), booleans as 0/1; `bytes` columns (encrypted data) as bytea.
  Naive datetimes are refused, as `UtcDateTime` refuses them.
- `allocate_ids(connection, table, n)` reserves `n` consecutive primary keys and returns the first, so
  child rows (phones of new customers, ledger entries of new debts) can reference parents without a
  round trip per row. On PostgreSQL it takes an EXCLUSIVE lock on the table (plain reads still run)
  until the transaction ends and moves the id sequence past the block; on SQLite it takes the
  single writer lock first, which makes `max(id) + 1` safe (insert the block before allocating
  again for the same table).

Usage (cycle, simulator, imports):

    with runtime.uow() as uow:
        conn = uow.connection
        first = allocate_ids(conn, "outbox_messages", len(df))
        bulk_insert(conn, "outbox_messages", df.with_columns(id=pl.int_range(first, first + len(df))))
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import polars as pl
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Float,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    text,
)
from sqlalchemy.types import TypeEngine

from cupx.adapters.sqlite_staging import Stage, stage_rows, staging_available
from cupx.adapters.tables.base import metadata
from cupx.adapters.types import UtcDateTime

__all__ = ["PreparedRows", "allocate_ids", "bulk_insert", "polars_schema", "prepare_rows", "prepared_ahead",
           "to_frame"]

_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%6f"  # the text SQLAlchemy's SQLite DateTime stores and parses
_COPY_CHUNK_ROWS = 100_000  # bounded memory for the encoded rows of one COPY chunk
_BIG_INSERT_ROWS = 50_000  # SQLite inserts from this size get a large page cache while they run
_BIG_CACHE_KIB = -262_144  # negative: KiB, so 256 MiB
_STAGED_ROWS = 50_000  # SQLite inserts from this size go through a staging file (half the time at 1M rows)


def _table(table: Table | str) -> Table:
    if isinstance(table, Table):
        return table
    return metadata.tables[table]


def _polars_type(sa_type: TypeEngine[Any]) -> pl.DataType:
    t = sa_type
    if isinstance(t, UtcDateTime):
        return pl.Datetime("us", "UTC")
    impl = getattr(t, "impl", None)
    if isinstance(t, Boolean):
        return pl.Boolean()
    if isinstance(t, BigInteger | Integer | SmallInteger) or (impl is not None and isinstance(impl, Integer)):
        return pl.Int64()
    if isinstance(t, Float):
        return pl.Float64()
    if isinstance(t, Date):
        return pl.Date()
    if isinstance(t, LargeBinary):
        return pl.Binary()
    return pl.String()


def polars_schema(table: Table | str, columns: Sequence[str] | None = None) -> dict[str, pl.DataType]:
    """The Polars dtype of each column of `table` (all columns, or those named)."""
    tbl = _table(table)
    names = list(columns) if columns is not None else [c.name for c in tbl.columns]
    return {name: _polars_type(tbl.c[name].type) for name in names}


def to_frame(table: Table | str, rows: pl.DataFrame | Iterable[Mapping[str, Any] | Sequence[Any]],
             columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Rows as a DataFrame typed like the table's columns (tuples need `columns`)."""
    tbl = _table(table)
    if isinstance(rows, pl.DataFrame):
        unknown = [c for c in rows.columns if c not in tbl.c]
        if unknown:
            raise ValueError(f"{tbl.name} has no column(s) {unknown}")
        _check_aware_frame(rows)
        schema = polars_schema(tbl, rows.columns)
        return rows.cast(schema)  # type: ignore[arg-type]
    data = list(rows)
    if not data:
        return pl.DataFrame(schema=polars_schema(tbl, columns or []))
    if isinstance(data[0], Mapping):
        names = list(columns) if columns is not None else list(data[0].keys())
        data = [tuple(r.get(k) for k in names) for r in data]  # type: ignore[union-attr]
    elif columns is None:
        raise ValueError("tuple rows need `columns`")
    else:
        names = list(columns)
    schema = polars_schema(tbl, names)
    _check_aware_rows(data, [i for i, n in enumerate(names) if isinstance(schema[n], pl.Datetime)], names)
    return pl.DataFrame(data, schema=schema, orient="row")


def _check_aware_frame(df: pl.DataFrame) -> None:
    # Polars would silently read a naive column as UTC; UtcDateTime refuses naive values, so do we.
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None and df[name].null_count() < len(df):
            raise ValueError(f"naive datetimes in column {name!r} refused: store aware UTC instants")


def _check_aware_rows(data: list[Any], positions: list[int], names: list[str]) -> None:
    for row in data:
        for i in positions:
            value = row[i]
            if isinstance(value, datetime) and value.utcoffset() is None:
                raise ValueError(f"naive datetimes in column {names[i]!r} refused: store aware UTC instants")


class PreparedRows:
    """Rows made ready for `bulk_insert` into one table of one kind of database (`prepare_rows`)."""

    def __init__(self, table: Table, dialect: str, frame: pl.DataFrame, stage: Stage | None) -> None:
        self.table, self.dialect, self.frame, self.stage = table, dialect, frame, stage
        self.height = frame.height
        self.spent = False  # inserted or discarded: never inserted (again)

    def discard(self) -> None:
        """Free the staging file, if any (the rows will not be inserted)."""
        self.spent = True
        if self.stage is not None:
            self.stage.discard()


def prepare_rows(dialect: str, table: Table | str,
                 rows: pl.DataFrame | Iterable[Mapping[str, Any] | Sequence[Any]],
                 columns: Sequence[str] | None = None, *, stage: bool = True) -> PreparedRows:
    """What `bulk_insert` would do before it touches the connection, done now (`dialect`: "postgresql" or
    "sqlite"; `stage`: write a large SQLite insert's staging file now). Uses no connection, so it may run
    on any thread."""
    tbl = _table(table)
    df = to_frame(tbl, rows, columns)
    if dialect == "postgresql" or df.height == 0:
        return PreparedRows(tbl, dialect, df, None)  # COPY already encodes its next chunk while one is sent
    out = _sqlite_values(df)
    return PreparedRows(tbl, dialect, out, stage_rows(out) if stage and out.height >= _STAGED_ROWS else None)


@contextmanager
def prepared_ahead(make: Callable[[], list[PreparedRows]]) -> Iterator[Future[list[PreparedRows]]]:
    """Run `make` (which calls `prepare_rows`) on a helper thread while the caller inserts other rows;
    yields its future. Whatever it prepared and the caller did not insert is discarded on the way out,
    so a failure leaves no staging file behind (the caller's own error is the one raised)."""
    with ThreadPoolExecutor(1, thread_name_prefix="bulk-ahead") as helper:
        ready = helper.submit(make)
        try:
            yield ready
        finally:
            try:
                prepared = ready.result()
            except BaseException:  # raised to the caller by its own result(), or hidden by its own error
                prepared = []
            for rows in prepared:
                rows.discard()  # no-op for the rows inserted


def bulk_insert(connection: Connection,
                table: Table | str,
                rows: PreparedRows | pl.DataFrame | Iterable[Mapping[str, Any] | Sequence[Any]],
                columns: Sequence[str] | None = None) -> int:
    """Insert every row into `table` in the caller's transaction; returns the number of rows.

    COPY on PostgreSQL, one executemany on SQLite. Columns left out get their server defaults, so
    include `id` only when you allocated ids (`allocate_ids`).
    """
    tbl = _table(table)
    dialect = connection.dialect.name
    if not isinstance(rows, PreparedRows):
        # staged at the insert, once it is known that the connection has an attachment slot for it
        rows = prepare_rows(dialect, tbl, rows, columns, stage=False)
    elif rows.spent:
        raise RuntimeError(f"rows prepared for {rows.table.name} were already inserted or discarded")
    elif rows.table is not tbl or rows.dialect != dialect:
        rows.discard()
        raise ValueError(f"rows prepared for {rows.dialect} table {rows.table.name} cannot go into "
                         f"{dialect} table {tbl.name}")
    try:
        if rows.height == 0:
            return 0
        if dialect == "postgresql":
            _copy_postgres(connection, tbl.name, rows.frame)
        else:
            _insert_sqlite(connection, tbl.name, rows.frame, rows.stage)
        return rows.height
    finally:
        rows.discard()  # no-op once inserted: its stage deletes its own file


def _wire_type(sa_type: TypeEngine[Any]) -> pl.DataType:
    """The Polars type whose Arrow form pgpq encodes as the column's own PostgreSQL type: binary COPY
    takes each value in exactly its column's width (an int8 into an INTEGER column is refused)."""
    if isinstance(sa_type, SmallInteger):
        return pl.Int16()
    if isinstance(sa_type, Integer) and not isinstance(sa_type, BigInteger):
        return pl.Int32()
    return _polars_type(sa_type)


def _copy_postgres(connection: Connection, table: str, df: pl.DataFrame) -> None:
    tbl = _table(table)
    wire = {n: _wire_type(tbl.c[n].type) for n in df.columns}
    encoder = ArrowToPostgresBinaryEncoder(df.head(0).cast(wire).to_arrow().schema)  # type: ignore[arg-type]
    cols = ", ".join(f'"{c}"' for c in df.columns)
    raw = connection.connection.driver_connection
    assert raw is not None

    def encode(start: int) -> bytes:
        # one chunk at a time into Arrow, so the copy of a large frame never exists whole
        chunk = df.slice(start, _COPY_CHUNK_ROWS).cast(wire).to_arrow()  # type: ignore[arg-type]
        return b"".join(encoder.write_batch(batch) for batch in chunk.to_batches())

    starts = range(0, df.height, _COPY_CHUNK_ROWS)
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN WITH (FORMAT binary)') as copy:
        copy.write(encoder.write_header())
        with ThreadPoolExecutor(1) as formatter:
            # The next chunk is encoded in a thread while this one is sent, so the server does not wait
            # for us between chunks; at most two chunks are in memory.
            pending = formatter.submit(encode, starts[0])
            for nxt in [*starts[1:], None]:
                data = pending.result()
                if nxt is not None:
                    pending = formatter.submit(encode, nxt)
                copy.write(data)
        copy.write(encoder.finish())


def _sqlite_values(df: pl.DataFrame) -> pl.DataFrame:
    conv = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Datetime):
            conv.append(pl.col(name).dt.convert_time_zone("UTC").dt.strftime(_SQLITE_INSTANT))
        elif dtype == pl.Date():
            conv.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Boolean():
            conv.append(pl.col(name).cast(pl.Int8))
    return df.with_columns(conv) if conv else df


def _insert_sqlite(connection: Connection, table: str, out: pl.DataFrame, stage: Stage | None) -> None:
    """`out`: rows in SQLite's stored values; `stage`: the same rows in a staging file, if prepared."""
    cols = ", ".join(f'"{c}"' for c in out.columns)
    marks = ", ".join("?" for _ in out.columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    big = out.height >= _BIG_INSERT_ROWS
    previous = cur.execute("PRAGMA cache_size").fetchone()[0] if big else None
    try:
        if big:  # a large page cache keeps the table's indexes in memory while the rows go in
            cur.execute(f"PRAGMA cache_size = {_BIG_CACHE_KIB}")
        if out.height >= _STAGED_ROWS and staging_available(raw):
            # the values cross in C (cupx.adapters.sqlite_staging)
            (stage if stage is not None else stage_rows(out)).insert_into(raw, table)
        else:
            # zip over plain lists makes the row tuples in C, faster than DataFrame.iter_rows.
            columns = [out[c].to_list() for c in out.columns]
            cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',  # noqa: S608
                            zip(*columns, strict=True))
    finally:
        if previous is not None:  # pooled connections go back to their usual cache
            cur.execute(f"PRAGMA cache_size = {int(previous)}")
        cur.close()


def allocate_ids(connection: Connection, table: Table | str, n: int) -> int:
    """Reserve `n` consecutive ids of `table`'s primary key for this transaction; return the first."""
    name = _table(table).name
    if connection.dialect.name == "postgresql":
        connection.execute(text(f'LOCK TABLE "{name}" IN EXCLUSIVE MODE'))
        seq = connection.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}).scalar_one()
        top = connection.execute(text(f'SELECT coalesce(max(id), 0) FROM "{name}"')).scalar_one()  # noqa: S608
        first = max(int(connection.execute(text("SELECT nextval(:s)"), {"s": seq}).scalar_one()), int(top) + 1)
        if n > 0:
            connection.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": first + n - 1})
        return first
    # A no-op write takes SQLite's write lock first, so no other writer can add ids between the read of
    # max(id) and our inserts (reads alone would not open a write transaction).
    connection.execute(text(f'UPDATE "{name}" SET id = id WHERE 0'))  # noqa: S608
    top = connection.execute(text(f'SELECT coalesce(max(id), 0) FROM "{name}"')).scalar_one()  # noqa: S608
    return int(top) + 1

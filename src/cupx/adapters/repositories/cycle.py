"""SQL implementations of the cycle's ports: `SqlCycleStore` (bulk in and out) and `SqlStrategyRegistry`.

Loading: one query per input table, values coerced in Polars (dates and instants from text, booleans from
0/1 or t/f). The whole portfolio on PostgreSQL: `cupx.adapters.snapshot_reads` (two connections sharing
one snapshot, results in Arrow); a large portfolio on SQLite: `cupx.adapters.sqlite_reads` (a child
process, one read transaction, results in Arrow); explain's few customers: COPY TO STDOUT in the caller's
transaction (PostgreSQL), batched typed fetches (SQLite, also for small portfolios). Every query is
restricted to what is known as of the run: ledger entries effective by the run date and posted before the
run started, contact events and promises recorded before the run started (events: the last 90 days, plus
every non-outbound event such as disputes and cease notices whatever their age), progress recorded BEFORE
the run date (so a rerun of the same date decides exactly as the first attempt did).
Writing: `cupx.adapters.bulk.bulk_insert` in the caller's transaction, only the rows whose
deterministic key is not stored yet, so a rerun never duplicates anything.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, inspect, select, text, update

from cupx.adapters.bulk import PreparedRows, allocate_ids, bulk_insert, prepare_rows, prepared_ahead
from cupx.adapters.repositories.registry import implements
from cupx.adapters.snapshot_reads import read_snapshot
from cupx.adapters.sqlite_reads import read_sqlite
from cupx.adapters.tables.core import debts, outbox_messages
from cupx.adapters.tables.cycle import cycle_decisions, cycle_runs, strategy_versions
from cupx.cycle.inputs import INPUT_SCHEMAS, CycleInputs
from cupx.cycle.writes import assignment_rows, decision_rows, outbox_rows, progress_rows
from cupx.domain.errors import Conflict, NotFound
from cupx.services.cycle_ports import CycleStore, DecisionRows, RunRecord, StrategyRegistry, StrategyVersion
from cupx.strategy.loader import LoadedStrategy, parse_strategy

__all__ = ["SqlCycleStore", "SqlStrategyRegistry"]

_HISTORY_DAYS = 90


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


# The largest inputs first, so the snapshot readers finish together (row counts of a 1M-account portfolio).
_READ_ORDER = ("contact_events", "ledger_entries", "customers", "debts", "addresses", "mobiles", "emails")


def _read_postgres_inputs(engine: Engine, queries: dict[str, str]) -> dict[str, pl.DataFrame]:
    order = sorted(queries, key=lambda n: _READ_ORDER.index(n) if n in _READ_ORDER else len(_READ_ORDER))
    raw = read_snapshot(engine, {n: queries[n] for n in order}, {n: list(INPUT_SCHEMAS[n]) for n in order})
    return {name: coerce(raw[name], INPUT_SCHEMAS[name]) for name in queries}


# One query per input, columns in INPUT_SCHEMAS order. Nullable text columns are COALESCEd to '' (read back
# as null), so every column has one type from its first row on (any Arrow reader can type it).
# Tokens replaced in `_queries`: __CUST__ / __CUSTID__ (an optional customer filter made
# of integers, for explain) and the dialect's instant expression __AT__. Date parameters (:as_of, :end,
# :since) are rendered by `read_frame`.
_OPEN = "status NOT IN ('resolved_paid', 'resolved_settled', 'written_off', 'closed', 'placed_with_agency', 'legal')"
_OPEN_DEBTS = "SELECT id FROM debts WHERE __OPEN__ __CUST__"
_QUERIES = {
    "debts": "SELECT id, customer_id, product, currency, original_minor, jurisdiction, due_schedule, status "
             "FROM debts WHERE __OPEN__ __CUST__",
    "customers": "SELECT id, preferred_language, flags, tz_candidates, COALESCE(CAST(customer_since AS TEXT), '') "
                 "FROM customers "
                 "WHERE id IN (SELECT customer_id FROM debts WHERE __OPEN__) __CUSTID__",
    "ledger_entries": "SELECT id, debt_id, kind, amount_minor, effective_date, reverses_id FROM ledger_entries "
                      "WHERE effective_date <= :as_of AND posted_at < :end AND debt_id IN (__OPEN_DEBTS__)",
    # payload only where the guard needs its fields (medium, target, written, initiated_by): rare event types
    "contact_events": "SELECT customer_id, debt_id, type, COALESCE(channel, ''), __AT__ AS at, right_party, "
                      "COALESCE(outcome, ''), CASE WHEN type IN ('medium_restriction', 'cease_notice', 'dispute', "
                      "'electronic_opt_out', 'telephone_conversation', 'tcpa_revocation', 'original_creditor_request') "
                      "THEN payload ELSE '' END "
                      "FROM contact_events WHERE at < :end AND (at >= :since OR type NOT IN "
                      "('text_sent', 'email_sent', 'letter_sent', 'call_placed')) __CUST__",
    "mobiles": "SELECT DISTINCT customer_id FROM customer_phones WHERE type = 'mobile' "
               "AND opted_out = false AND wrong_number = false __CUST__",
    "emails": "SELECT DISTINCT customer_id FROM customer_emails WHERE opted_out = false AND bounced = false __CUST__",
    "addresses": "SELECT DISTINCT customer_id FROM customer_addresses WHERE undeliverable = false __CUST__",
    "promises": "SELECT customer_id, debt_id, status, promised_on, COALESCE(CAST(resolved_at AS TEXT), '') "
                "FROM promises "
                "WHERE created_at < :end __CUST__",
    "payment_plans": "SELECT customer_id, debt_id, status, consecutive_misses FROM payment_plans "
                     "WHERE status = 'active' __CUST__",
    "breathing_spaces": "SELECT customer_id, debt_id, starts_on, ends_on, status FROM breathing_spaces "
                        "WHERE status = 'active' __CUST__",
    # progress recorded before the run date only: a rerun of the date sees what the first attempt saw
    "progress": "SELECT debt_id, episode, step_id, SUM(CASE WHEN kind = 'attempt' THEN 1 ELSE 0 END), "
                "MAX(CASE WHEN kind = 'skip' THEN 1 ELSE 0 END), "
                "COALESCE(CAST(MAX(CASE WHEN kind = 'attempt' THEN on_date END) AS TEXT), '') "
                "FROM ladder_progress WHERE on_date < :as_of AND debt_id IN (__OPEN_DEBTS__) "
                "GROUP BY debt_id, episode, step_id",
    "assignments": "SELECT experiment_id, customer_id, arm FROM experiment_assignments WHERE 1 = 1 __CUST__",
}


def _queries(conn: Connection, customer_ids: list[int] | None) -> dict[str, str]:
    ids = ", ".join(str(int(c)) for c in customer_ids or [0]) if customer_ids is not None else None
    out = {}
    for name, sql in _QUERIES.items():
        sql = sql.replace("__OPEN_DEBTS__", _OPEN_DEBTS).replace("__OPEN__", _OPEN)
        sql = sql.replace("__AT__", instant_sql(conn, "at"))
        sql = sql.replace("__CUSTID__", "" if ids is None else "AND id IN (" + ids + ")")
        out[name] = sql.replace("__CUST__", "" if ids is None else "AND customer_id IN (" + ids + ")")
    return out


# From this many open debts a SQLite cycle reads its inputs in a child process: it costs ~0.25 s to start
# and saves ~6 us per row (contact events at 1M accounts: 6.1 s -> 2.4 s), break-even near 50,000 debts.
SQLITE_CHILD_READ_MIN_DEBTS = 50_000
# Two child readers at once, one per core, while writers are kept out (cupx.adapters.sqlite_reads); the
# queries are shared by their time at 1M accounts (seconds, each query alone, less the reader's start).
SQLITE_READERS = 2
_READ_COSTS = {"contact_events": 2.8, "progress": 2.1, "ledger_entries": 1.4, "debts": 0.9, "customers": 0.9,
               "assignments": 0.33, "addresses": 0.2, "mobiles": 0.15, "emails": 0.15, "promises": 0.02,
               "payment_plans": 0.02, "breathing_spaces": 0.02}


def _read_costs(conn: Connection, wanted: dict[str, str]) -> dict[str, float]:
    """`_READ_COSTS`, with the history tables a first night finds empty at no cost (else the readers are
    uneven that night: 4.2 s against 2.4 s of queries)."""
    costs = dict(_READ_COSTS)
    for name, table in (("progress", "ladder_progress"), ("assignments", "experiment_assignments")):
        if name in wanted and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is None:  # noqa: S608
            costs[name] = 0.0
    return costs


def _sqlite_file(conn: Connection) -> str | None:
    """The database file of a SQLite connection (None for PostgreSQL or an in-memory database)."""
    if conn.dialect.name != "sqlite":
        return None
    database = conn.engine.url.database
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    return str(Path(database).resolve())  # the child process need not share this one's working directory


def _open_debts(conn: Connection) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM debts WHERE {_OPEN}")).scalar_one())  # noqa: S608


def _has_table(conn: Connection, name: str) -> bool:
    return bool(inspect(conn).has_table(name))


@implements(CycleStore)
class SqlCycleStore(CycleStore):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection
        self.runtime = runtime

    def load_inputs(self, as_of: date, customer_ids: list[int] | None = None,
                    known_before: datetime | None = None) -> CycleInputs:
        end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
        if known_before is not None:
            end = min(end, known_before)
        params = {"as_of": as_of, "end": end, "since": end - timedelta(days=_HISTORY_DAYS)}
        wanted: dict[str, str] = {}
        for name, sql in _queries(self.conn, customer_ids).items():
            table = {"mobiles": "customer_phones", "emails": "customer_emails", "addresses": "customer_addresses",
                     "progress": "ladder_progress", "assignments": "experiment_assignments"}.get(name, name)
            if not _has_table(self.conn, table):
                continue  # an area not installed yet (payments): its holds are simply absent
            for key, value in params.items():
                sql = sql.replace(f":{key}", _literal(self.conn, value))
            wanted[name] = sql
        if self.conn.dialect.name == "postgresql" and customer_ids is None:
            # the whole portfolio: several connections sharing one snapshot (cupx.adapters.snapshot_reads)
            return CycleInputs(_read_postgres_inputs(self.conn.engine, wanted))
        database = _sqlite_file(self.conn)
        if database is not None and customer_ids is None and _open_debts(self.conn) >= SQLITE_CHILD_READ_MIN_DEBTS:
            # a large portfolio: read into Arrow by a child process (cupx.adapters.sqlite_reads)
            raw = read_sqlite(database, wanted, {n: list(INPUT_SCHEMAS[n]) for n in wanted},
                              readers=SQLITE_READERS, costs=_read_costs(self.conn, wanted))
            return CycleInputs({name: coerce(raw[name], INPUT_SCHEMAS[name]) for name in wanted})
        return CycleInputs({name: read_frame(self.conn, sql, INPUT_SCHEMAS[name]) for name, sql in wanted.items()})

    def run(self, as_of: date) -> RunRecord | None:
        row = self.conn.execute(select(cycle_runs).where(cycle_runs.c.as_of == as_of)).first()
        if row is None:
            return None
        return RunRecord(row.id, row.as_of, row.status, row.phase, row.attempts, json.loads(row.counts or "{}"),
                         row.started_at)

    def start_run(self, as_of: date, now: datetime, strategies: list[list[Any]]) -> RunRecord:
        existing = self.run(as_of)
        if existing is None:
            self.conn.execute(cycle_runs.insert().values(as_of=as_of, status="started", phase="load", attempts=1,
                                                         strategies=json.dumps(strategies), started_at=now))
        else:
            self.conn.execute(update(cycle_runs).where(cycle_runs.c.id == existing.id).values(
                attempts=cycle_runs.c.attempts + 1, phase="load", strategies=json.dumps(strategies)))
        run = self.run(as_of)
        assert run is not None
        return run

    def set_phase(self, run_id: int, phase: str, error: str | None = None) -> None:
        values: dict[str, Any] = {"phase": phase}
        if error is not None:
            values["last_error"] = error[:1000]
        self.conn.execute(update(cycle_runs).where(cycle_runs.c.id == run_id).values(**values))

    def _existing(self, sql: str, schema: dict[str, pl.DataType], **params: Any) -> pl.DataFrame:
        return read_frame(self.conn, sql, schema, **params)

    @property
    def concurrent_writes(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def new_decisions(self, run: RunRecord, decisions: pl.DataFrame, now: datetime) -> DecisionRows:
        dec = decision_rows(decisions, run.id, run.as_of, now)
        # the ids of a rerun's stored decisions too: an outbox row written after them needs its decision's id
        known = self._existing("SELECT debt_id, id FROM cycle_decisions WHERE as_of = :as_of",
                               {"debt_id": pl.Int64(), "id": pl.Int64()}, as_of=run.as_of)
        dec = dec.join(known, on="debt_id", how="anti")
        first = allocate_ids(self.conn, "cycle_decisions", dec.height)
        dec = dec.with_columns(id=pl.int_range(first, first + dec.height, dtype=pl.Int64))
        return DecisionRows(dec, pl.concat([known, dec.select("debt_id", "id")]))

    def write_records(self, run: RunRecord, decisions: pl.DataFrame, rows: DecisionRows,
                      checkpoint: Callable[[str], None]) -> dict[str, int]:
        as_of = run.as_of
        have = self._existing("SELECT debt_id, step_id, kind FROM ladder_progress WHERE on_date = :as_of",
                              {"debt_id": pl.Int64(), "step_id": pl.String(), "kind": pl.String()}, as_of=as_of)
        dialect = self.conn.dialect.name

        def later() -> list[PreparedRows]:
            prog = progress_rows(decisions, run.id, as_of).join(have, on=["debt_id", "step_id", "kind"], how="anti")
            # Only the arms the inputs did not hold (`arm_is_new`), and the inputs hold every stored assignment,
            # those of an earlier attempt of this date included: no read of the whole table (a row per customer
            # and experiment, growing every night) is needed to skip them. Its key refuses a duplicate anyway.
            return [prepare_rows(dialect, "ladder_progress", prog),
                    prepare_rows(dialect, "experiment_assignments", assignment_rows(decisions, as_of))]

        # the progress and assignment rows are made ready (on SQLite: staged) while the decisions go in
        with prepared_ahead(later) as ready:
            counts = {"decisions": bulk_insert(self.conn, "cycle_decisions", rows.new)}
            checkpoint("decisions_written")
            progress, assignments = ready.result()
            counts["progress"] = bulk_insert(self.conn, "ladder_progress", progress)
            counts["assignments"] = bulk_insert(self.conn, "experiment_assignments", assignments)
        return counts

    def write_outbox(self, run: RunRecord, decisions: pl.DataFrame, ids: pl.DataFrame, now: datetime) -> int:
        box = outbox_rows(decisions, ids, now)
        return bulk_insert(self.conn, "outbox_messages", box.join(self._outbox_keys(run.as_of), on="message_key",
                                                                  how="anti"))

    def _outbox_keys(self, as_of: date) -> pl.DataFrame:
        prefix = f"cycle:{as_of.isoformat()}:"
        # a range on the unique key, not LIKE: it uses the index on both databases (';' follows ':')
        key = outbox_messages.c.message_key
        keys = self.conn.execute(select(key).where(key >= prefix, key < prefix[:-1] + ";")).scalars().all()
        return pl.DataFrame({"message_key": list(keys)}, schema={"message_key": pl.String})

    def complete_run(self, run_id: int, now: datetime, counts: dict[str, Any]) -> None:
        self.conn.execute(update(cycle_runs).where(cycle_runs.c.id == run_id).values(
            status="completed", phase="done", finished_at=now, counts=json.dumps(counts, sort_keys=True),
            last_error=None))

    def decisions(self, as_of: date, debt_ids: list[int] | None = None) -> pl.DataFrame:
        stmt = select(cycle_decisions).where(cycle_decisions.c.as_of == as_of)
        if debt_ids is not None:
            stmt = stmt.where(cycle_decisions.c.debt_id.in_(debt_ids))
        rows = self.conn.execute(stmt.order_by(cycle_decisions.c.debt_id)).mappings().all()
        cols = [c.name for c in cycle_decisions.columns]
        return pl.DataFrame([dict(r) for r in rows], schema={c: None for c in cols} if not rows else None)

    def customer_of(self, debt_id: int) -> int:
        cid = self.conn.execute(select(debts.c.customer_id).where(debts.c.id == debt_id)).scalar()
        if cid is None:
            raise NotFound(f"debt {debt_id} does not exist", field="debt_id")
        return int(cid)


@implements(StrategyRegistry)
class SqlStrategyRegistry(StrategyRegistry):
    def __init__(self, connection: Connection, runtime: Any) -> None:
        self.conn = connection

    def register(self, loaded: LoadedStrategy, now: datetime, by: str) -> StrategyVersion:
        s = loaded.strategy
        row = self.conn.execute(select(strategy_versions).where(
            strategy_versions.c.strategy_id == s.id, strategy_versions.c.version == s.version)).first()
        if row is not None:
            if row.sha256 != loaded.sha256:
                raise Conflict(f"strategy {s.id} version {s.version} is already registered with other content; "
                               "raise `version`", field="version")
            return self._record(row)
        self.conn.execute(strategy_versions.insert().values(
            strategy_id=s.id, version=s.version, sha256=loaded.sha256, yaml_text=loaded.text,
            source=loaded.source[:500], live=False, created_at=now, created_by=by))
        return self._record(self.conn.execute(select(strategy_versions).where(
            strategy_versions.c.strategy_id == s.id, strategy_versions.c.version == s.version)).one())

    def set_live(self, strategy_id: str, version: int) -> None:
        t = strategy_versions
        found = self.conn.execute(select(t.c.id).where(t.c.strategy_id == strategy_id, t.c.version == version)).first()
        if found is None:
            raise NotFound(f"strategy {strategy_id} version {version} is not registered", field="strategy")
        self.conn.execute(update(t).where(t.c.strategy_id == strategy_id).values(live=t.c.version == version))

    def live(self) -> list[LoadedStrategy]:
        t = strategy_versions
        rows = self.conn.execute(select(t.c.yaml_text, t.c.source).where(t.c.live.is_(True))
                                 .order_by(t.c.strategy_id)).all()
        return [parse_strategy(r.yaml_text, r.source or "<registry>") for r in rows]

    def versions(self) -> list[StrategyVersion]:
        t = strategy_versions
        rows = self.conn.execute(select(t).order_by(t.c.strategy_id, t.c.version)).all()
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(row: Any) -> StrategyVersion:
        return StrategyVersion(row.strategy_id, row.version, row.sha256, bool(row.live), row.created_at,
                               row.source)

"""Large SQLite bulk inserts through a staging file (`cupx.adapters.sqlite_staging`): the stored values and
their storage classes are exactly what `executemany` stores; the rows go with the caller's transaction;
the staging file is deleted at once and let go of when the connection returns to its pool; with no free
attachment slot the insert falls back to `executemany`. SQLite only (the staging is SQLite's)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text

from cupx.adapters import bulk, sqlite_staging
from cupx.adapters.bulk import bulk_insert
from cupx.adapters.db import make_engine
from cupx.adapters.tables.base import metadata
from cupx.adapters.tables.core import customer_phones, customers
from cupx.adapters.tables.cycle import cycle_decisions

NOW = datetime(2026, 11, 30, 2, 3, 4, 567891, tzinfo=UTC)
N = 300


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'staging.db'}")
    metadata.create_all(engine, tables=[customers, customer_phones, cycle_decisions])
    yield engine
    engine.dispose()


def _frames() -> dict[str, pl.DataFrame]:
    ids = list(range(1, N + 1))
    return {
        "customers": pl.DataFrame({
            "id": ids, "external_id": [f"C{i}" for i in ids], "name_enc": [bytes([i % 256, 0, 255]) for i in ids],
            "flags": ["" if i % 3 else "deceased,é" for i in ids], "row_hash": [f"h{i}" for i in ids],
            "customer_since": [date(2020, 1, 1) + timedelta(days=i) if i % 4 else None for i in ids],
            "created_at": [NOW + timedelta(microseconds=i) for i in ids], "updated_at": [NOW] * N}),
        "customer_phones": pl.DataFrame({
            "customer_id": ids, "number_hash": [f"p{i}" for i in ids],
            "area_code": [None if i % 9 else "202" for i in ids],
            "number_enc": [b"\x01"] * N, "type": ["mobile" if i % 2 else "landline" for i in ids],
            "tcpa_consent": [i % 2 == 0 for i in ids], "opted_out": [False] * N,
            "wrong_number": [i % 7 == 0 for i in ids], "consent_at": [NOW if i % 2 else None for i in ids]}),
        "cycle_decisions": pl.DataFrame({
            "run_id": [1] * N, "as_of": [date(2026, 11, 30)] * N, "debt_id": ids, "customer_id": ids,
            "decision": ["contact"] * N, "strategy_version": [None if i % 5 == 0 else 2 for i in ids],
            "segment": [None if i % 2 else "early" for i in ids], "reason_codes": ["" if i % 3 else "A,B" for i in ids],
            "skipped_steps": [""] * N, "score": [None if i % 6 == 0 else i / 7 for i in ids],
            "created_at": [NOW] * N}),
    }


def _stored(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        cols = [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')]
        picks = ", ".join(f'typeof("{c}"), "{c}"' for c in cols)
        return [tuple(r) for r in conn.exec_driver_sql(f'SELECT {picks} FROM "{table}" ORDER BY rowid')]


def _insert_all(engine: Engine, staged_from: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(bulk, "_STAGED_ROWS", staged_from)
    staged: list[str] = []
    real = sqlite_staging.Stage.insert_into

    def spy(stage: sqlite_staging.Stage, raw: Any, table: str) -> None:
        staged.append(table)
        real(stage, raw, table)

    monkeypatch.setattr(sqlite_staging.Stage, "insert_into", spy)
    with engine.connect() as conn:
        conn.begin()
        for table, frame in _frames().items():
            assert bulk_insert(conn, table, frame) == N
        conn.commit()
    return staged


def test_staged_inserts_store_what_executemany_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_staging, "_CHUNK_ROWS", 7)  # many Arrow chunks in one staged insert
    engines = [make_engine(f"sqlite:///{tmp_path / name}") for name in ("staged.db", "plain.db")]
    for engine in engines:
        metadata.create_all(engine, tables=[customers, customer_phones, cycle_decisions])
    try:
        assert _insert_all(engines[0], 1, monkeypatch) == list(_frames())
        assert _insert_all(engines[1], 10**9, monkeypatch) == []
        for table in _frames():
            staged, plain = _stored(engines[0], table), _stored(engines[1], table)
            assert len(staged) == N and staged == plain, table
        with engines[0].connect() as conn:
            kinds = set(conn.exec_driver_sql("SELECT typeof(name_enc), typeof(customer_since), typeof(score) "
                                             "FROM customers JOIN cycle_decisions ON debt_id = customers.id"))
        assert kinds == {("blob", "text", "real"), ("blob", "null", "real"), ("blob", "text", "null"),
                         ("blob", "null", "null")}
    finally:
        for engine in engines:
            engine.dispose()


def test_staged_rows_go_with_the_transaction_and_the_file_with_the_insert(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bulk, "_STAGED_ROWS", 1)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with sqlite_engine.connect() as conn:
        conn.begin()
        bulk_insert(conn, "customers", _frames()["customers"])
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == N
        assert list(scratch.iterdir()) == []  # the staging file is gone once copied
        names = [r[1] for r in conn.exec_driver_sql("PRAGMA database_list")]
        assert any(n.startswith("cupx_stage_") for n in names)  # still attached: this transaction read it
        conn.rollback()
    with sqlite_engine.connect() as conn:  # the same pooled connection, returned and taken again
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 0
        assert not [r[1] for r in conn.exec_driver_sql("PRAGMA database_list") if r[1] not in ("main", "temp")]


def test_prepared_rows_not_inserted_leave_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bulk, "_STAGED_ROWS", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    prepared = bulk.prepare_rows("sqlite", "customers", _frames()["customers"])
    assert prepared.stage is not None and list(tmp_path.iterdir())  # staged, waiting for its insert
    prepared.discard()
    assert list(tmp_path.iterdir()) == []


def test_without_a_free_attachment_slot_the_insert_falls_back(sqlite_engine: Engine, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_STAGED_ROWS", 1)
    with sqlite_engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        conn.begin()
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
        for i in range(limit):  # every slot taken by a database this transaction reads
            conn.exec_driver_sql(f"ATTACH DATABASE '{tmp_path / f'other{i}.db'}' AS other{i}")
            conn.exec_driver_sql(f"CREATE TABLE other{i}.t (x)")
        assert not sqlite_staging.staging_available(raw)
        assert bulk_insert(conn, "customers", _frames()["customers"]) == N
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == N
        conn.rollback()
        for i in range(limit):
            conn.exec_driver_sql(f"DETACH DATABASE other{i}")

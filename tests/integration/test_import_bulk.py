"""`bulk_insert` / `allocate_ids` on both databases: values read back as a Core insert would store them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError

from cupx.adapters import bulk
from cupx.adapters.bulk import allocate_ids, bulk_insert
from cupx.adapters.tables.core import customer_phones, customers
from cupx.adapters.tables.cycle import cycle_decisions
from cupx.adapters.tables.sim import surveys

NOW = datetime(2026, 9, 8, 14, 10, 5, 123456, tzinfo=UTC)


def test_bulk_insert_frame_and_dicts_round_trip(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        first = allocate_ids(conn, customers, 2)
        frame = pl.DataFrame({
            "id": [first, first + 1], "external_id": ["C1", "C2"], "name_enc": [b"\x00\xff,\"", b""],
            "flags": ["", "deceased"], "row_hash": ["h1", "h2"], "created_at": [NOW, NOW], "updated_at": [NOW, NOW],
            "customer_since": [date(2020, 1, 2), None],
        })
        assert bulk_insert(conn, customers, frame) == 2
        bulk_insert(conn, "customers", [{"external_id": "C3", "name_enc": b"x", "row_hash": "h3",
                                         "created_at": NOW, "updated_at": NOW}])
        conn.commit()
        rows = {r.external_id: r for r in conn.execute(select(customers))}
    assert rows["C1"].id == first and rows["C2"].id == first + 1 and rows["C3"].id == first + 2
    assert bytes(rows["C1"].name_enc) == b"\x00\xff,\"" and bytes(rows["C2"].name_enc) == b""
    assert rows["C1"].flags == "" and rows["C2"].flags == "deceased"
    assert rows["C1"].customer_since == date(2020, 1, 2) and rows["C2"].customer_since is None
    assert rows["C1"].created_at == NOW and rows["C3"].preferred_language == "en"


def test_bulk_insert_of_many_chunks_keeps_every_row_in_order(engine: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_COPY_CHUNK_ROWS", 1_000)  # several chunks, formatted while others are sent
    n = 4_321
    frame = pl.DataFrame({"external_id": [f"M{i}" for i in range(n)], "name_enc": [b"\x01"] * n,
                          "row_hash": [f"h{i}" for i in range(n)], "created_at": [NOW] * n, "updated_at": [NOW] * n})
    with engine.connect() as conn:
        conn.begin()
        assert bulk_insert(conn, customers, frame) == n
        conn.commit()
        got = conn.execute(select(customers.c.external_id).order_by(customers.c.id)).scalars().all()
    assert got == frame["external_id"].to_list()


def test_rows_prepared_on_another_thread_insert_as_plain_rows_do(engine: Engine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_STAGED_ROWS", 1_000)  # on SQLite the prepared rows are staged in a file
    n = 2_345
    frame = pl.DataFrame({"external_id": [f"P{i}" for i in range(n)], "name_enc": [bytes([i % 256]) for i in range(n)],
                          "row_hash": [f"h{i}" for i in range(n)], "created_at": [NOW] * n, "updated_at": [NOW] * n,
                          "customer_since": [date(2020, 1, 1 + i % 28) if i % 3 else None for i in range(n)]})
    with engine.connect() as conn, ThreadPoolExecutor(1) as helper:
        conn.begin()
        prepared = helper.submit(bulk.prepare_rows, engine.dialect.name, "customers", frame).result()
        assert (prepared.stage is not None) == (engine.dialect.name == "sqlite")
        assert bulk_insert(conn, customers, prepared) == n
        with pytest.raises(RuntimeError, match="already inserted"):  # prepared rows go in once
            bulk_insert(conn, customers, prepared)
        conn.commit()
        got = conn.execute(select(customers.c.external_id, customers.c.name_enc, customers.c.customer_since)
                           .order_by(customers.c.id)).all()
    assert [tuple(r) for r in got] == list(frame.select("external_id", "name_enc", "customer_since").iter_rows())


def test_rows_prepared_for_another_table_are_refused(engine: Engine) -> None:
    prepared = bulk.prepare_rows(engine.dialect.name, "customers", [{"external_id": "X", "name_enc": b"x",
                                                                     "row_hash": "h", "created_at": NOW,
                                                                     "updated_at": NOW}])
    with engine.connect() as conn:
        conn.begin()
        with pytest.raises(ValueError, match="prepared for .* table customers cannot go into .* customer_phones"):
            bulk_insert(conn, customer_phones, prepared)
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 0
        conn.rollback()


def test_allocate_ids_moves_past_the_block(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        first = allocate_ids(conn, "customers", 10)
        bulk_insert(conn, customers, [(first + 9, "X", b"x", "h", NOW, NOW)],
                    columns=["id", "external_id", "name_enc", "row_hash", "created_at", "updated_at"])
        conn.commit()
        assert allocate_ids(conn, customers, 1) == first + 10
        conn.rollback()


def test_naive_instants_refused(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        naive = datetime(2026, 1, 1)
        with pytest.raises(ValueError, match="naive"):
            bulk_insert(conn, customers, [{"external_id": "N", "name_enc": b"x", "row_hash": "h",
                                           "created_at": naive, "updated_at": naive}])
        conn.rollback()


def test_allocate_ids_keeps_other_writers_out_until_the_end(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        allocate_ids(conn, customers, 5)
        if engine.dialect.name == "sqlite":
            import sqlite3

            other = sqlite3.connect(engine.url.database or "", timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        else:
            with engine.connect() as other_conn:
                other_conn.execute(text("SET lock_timeout = '200ms'"))
                with pytest.raises(OperationalError, match="lock timeout"):
                    other_conn.execute(text("LOCK TABLE customers IN ROW EXCLUSIVE MODE"))
        conn.rollback()


def test_large_sqlite_inserts_restore_the_page_cache(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import cupx.adapters.bulk as bulk

    monkeypatch.setattr(bulk, "_BIG_INSERT_ROWS", 2)
    rows = [{"external_id": f"B{i}", "name_enc": b"x", "row_hash": "h", "created_at": NOW, "updated_at": NOW}
            for i in range(3)]
    with engine.connect() as conn:
        conn.begin()
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar() if engine.dialect.name == "sqlite" else None
        assert bulk_insert(conn, customers, rows) == 3
        after = conn.exec_driver_sql("PRAGMA cache_size").scalar() if engine.dialect.name == "sqlite" else None
        assert before == after
        assert conn.execute(select(customers.c.external_id).order_by(customers.c.id)).scalars().all() == [
            "B0", "B1", "B2"]
        conn.rollback()


def test_every_column_type_round_trips(engine: Engine) -> None:
    """BIGINT, INTEGER, SMALLINT, FLOAT, BOOLEAN, DATE, instants, text with quotes, commas, tabs, newlines,
    backslashes and non-ASCII, empty text and NULLs: read back as they went in (binary COPY on PostgreSQL
    takes each value in its column's exact width)."""
    text_values = ['a "quoted", comma', "tab\there\nnew line \\ back", "", "é ✓ 日本", None]
    with engine.connect() as conn:
        conn.begin()
        first = allocate_ids(conn, customers, 1)
        bulk_insert(conn, customers, [{"id": first, "external_id": "T1", "name_enc": b"\\x00", "row_hash": "h",
                                       "created_at": NOW, "updated_at": NOW}])
        bulk_insert(conn, surveys, pl.DataFrame({
            "customer_id": [first] * 5, "resolution": ["paid"] * 5, "channel": ["sms"] * 5,
            "score": [1, 2, 3, 4, 5], "answered_at": [NOW] * 5}))
        bulk_insert(conn, cycle_decisions, pl.DataFrame({
            "run_id": [2**40] * 5, "as_of": [date(2026, 11, 30)] * 5, "debt_id": list(range(5)),
            "customer_id": [first] * 5, "decision": ["contact"] * 5, "strategy_version": [1, None, 3, 2**31 - 1, 0],
            "segment": text_values, "reason_codes": ["", "A", "A,B", "", ""], "skipped_steps": [""] * 5,
            "score": [0.125, None, 1e-9, 1.0, 0.0], "created_at": [NOW] * 5}))
        bulk_insert(conn, customer_phones, pl.DataFrame({
            "customer_id": [first] * 2, "number_enc": [b"\x00\x01", b""], "number_hash": ["p1", "p2"],
            "type": ["mobile"] * 2, "tcpa_consent": [True, False], "opted_out": [False, True],
            "wrong_number": [False, False], "consent_at": [NOW, None]}))
        scores = conn.execute(select(surveys.c.score).order_by(surveys.c.id)).scalars().all()
        rows = conn.execute(select(cycle_decisions).order_by(cycle_decisions.c.debt_id)).all()
        phones = conn.execute(select(customer_phones).order_by(customer_phones.c.number_hash)).all()
        conn.rollback()
    assert scores == [1, 2, 3, 4, 5]
    assert [r.segment for r in rows] == text_values and [r.run_id for r in rows] == [2**40] * 5
    assert [r.strategy_version for r in rows] == [1, None, 3, 2**31 - 1, 0]
    assert [r.score for r in rows] == [0.125, None, 1e-9, 1.0, 0.0]
    assert {r.as_of for r in rows} == {date(2026, 11, 30)} and {r.created_at for r in rows} == {NOW}
    assert [(bytes(p.number_enc), p.tcpa_consent, p.opted_out, p.consent_at) for p in phones] == [
        (b"\x00\x01", True, False, NOW), (b"", False, True, None)]

"""Migrations 0101 and 0202 re-key three append-heavy tables by their natural keys, keeping every row.

The test migrates a new database (`fresh_engine`, on both backends) to the revisions before the change,
writes rows in the old schema, upgrades, checks the rows and the new keys, then downgrades and checks
that the ids come back for every row.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from cupx.adapters.db import MIGRATIONS_DIR

_BEFORE = ("0201", "0100")
_ROWS = {
    "ladder_progress": "INSERT INTO ladder_progress (debt_id, episode, strategy_id, step_id, kind, on_date, reason, "
                       "run_id) VALUES (:n, '2026-11-01', 's', 'sms_1', 'attempt', '2026-11-30', 'contact', 1)",
    "experiment_assignments": "INSERT INTO experiment_assignments (experiment_id, customer_id, arm, assigned_on) "
                              "VALUES ('exp', :n, 'control', '2026-11-30')",
    "guard_audit_records": "INSERT INTO guard_audit_records (seq, decision_id, at, customer_id, debt_ids, action_type, "
                           "outcome, reason_codes, retain_until, body, prev_hash, hash) VALUES (:n, 'd' || :n, "
                           "'2026-11-30 02:00:00', :n, '', 'sms', 'allowed', '', '2029-11-30', '{}', 'p', 'h')",
}
_KEYS = {"ladder_progress": ["on_date", "debt_id", "step_id", "kind"],
         "experiment_assignments": ["experiment_id", "customer_id"], "guard_audit_records": ["seq"]}


def _alembic(engine: Engine, verb: str, *revisions: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        for rev in revisions:
            getattr(command, verb)(cfg, rev)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_rows_survive_the_rekey_both_ways(fresh_engine: Engine) -> None:
    _alembic(fresh_engine, "upgrade", *_BEFORE)
    with fresh_engine.begin() as conn:
        for sql in _ROWS.values():
            conn.execute(text(sql), [{"n": n} for n in range(1, 6)])
    _alembic(fresh_engine, "upgrade", "heads")
    with fresh_engine.connect() as conn:
        insp = inspect(conn)
        for table, key in _KEYS.items():
            assert insp.get_pk_constraint(table)["constrained_columns"] == key
            assert "id" not in [c["name"] for c in insp.get_columns(table)]
    assert {t: _count(fresh_engine, t) for t in _ROWS} == dict.fromkeys(_ROWS, 5)
    for sql in _ROWS.values():  # the natural key now refuses a duplicate on its own
        with pytest.raises(IntegrityError), fresh_engine.begin() as conn:
            conn.execute(text(sql), {"n": 3})
    _alembic(fresh_engine, "downgrade", *_BEFORE)
    with fresh_engine.connect() as conn:
        for table in _ROWS:
            ids = conn.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars().all()
            assert len(ids) == 5 and len(set(ids)) == 5 and None not in ids

"""Shared fixtures.

- `settings`: test settings with a temporary data directory.
- `db_url`: a freshly migrated database, once per test session per backend: SQLite always, and
  PostgreSQL when `CUPX_TEST_POSTGRES_URL` is set (a new database `cupx_t_<random>` is created on that
  server and dropped at the end, so parallel runs never share state).
- `engine`: the engine of `db_url` with every table emptied before the test.
- `runtime`: a bootstrapped Runtime on that engine.
Integration tests that take `engine` or `runtime` therefore run on both databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from cupx.adapters.db import make_engine, migrate, normalize_url
from cupx.adapters.tables import metadata
from cupx.bootstrap import Runtime, bootstrap
from cupx.config import Settings

PG_URL = os.environ.get("CUPX_TEST_POSTGRES_URL")


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session", params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'cupx.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    assert PG_URL is not None
    name = f"cupx_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalize_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                conn.execute(text(f'DELETE FROM "{t}"'))
            if conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    empty_all_tables(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(environment="test", database_url=db_url, data_dir=tmp_path / "var")


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Iterator[Runtime]:
    rt = bootstrap(settings, engine=engine)
    yield rt

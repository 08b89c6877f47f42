"""Shared fixtures.

- `settings`: test settings with a temporary data directory.
- `db_url`: a freshly migrated database, once per test session per backend: SQLite always, and
  PostgreSQL when `CUPX_TEST_POSTGRES_URL` is set (a new database `cupx_t_<random>` is created on that
  server and dropped at the end, so parallel runs never share state).
- `fresh_engine`: a new database with no migration applied, per test per backend (migration tests).
- `engine`: the engine of `db_url` with every table emptied before the test.
- `runtime`: a bootstrapped Runtime on that engine.
Integration tests that take `engine` or `runtime` therefore run on both databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped on exit; yields its URL."""
    assert PG_URL is not None
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalize_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'cupx.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    with _postgres_database("cupx_t") as url:
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=_backends())
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new database with no migration applied (for tests of the migrations themselves)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    with _postgres_database("cupx_m") as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


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

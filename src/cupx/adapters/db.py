"""Engines and schema migration.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout; PostgreSQL goes
through psycopg 3, with a pool of up to 16 (+16 overflow) connections per process, recycled after 30
minutes and not pinged before use. `migrate(engine)` brings any database to the newest schema with Alembic
(`upgrade heads`: each area is a branch off the core revision).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from cupx.adapters.sqlite_staging import detach_stages

__all__ = ["MIGRATIONS_DIR", "make_engine", "migrate", "normalize_url"]

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


def normalize_url(url: str) -> str:
    """Let operators write `postgresql://`; CU-PX always talks to PostgreSQL through psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with CU-PX's connection settings applied."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", detach_stages)  # a returned connection lets go of its staging files
        return engine
    # No pre-ping: it costs a round trip on every checkout (3 per API request). A connection dropped by a
    # server restart fails one statement, after which SQLAlchemy discards the whole pool; recycling after
    # 30 minutes keeps clear of idle-connection timeouts in between.
    kwargs.setdefault("pool_recycle", 1800)
    # Connections open lazily, so a large pool costs nothing until a server is busy; beyond pool_size,
    # overflow connections are closed on return and reopened on demand (a PostgreSQL backend start each).
    kwargs.setdefault("pool_size", 16)
    kwargs.setdefault("max_overflow", 16)
    return create_engine(url, **kwargs)


def migrate(engine: Engine) -> None:
    """Upgrade the database to every head revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")

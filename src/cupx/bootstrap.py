"""Wires CU-PX together: settings -> engine, cipher, units of work. Built once per process.

Nothing connects at import time; `bootstrap(settings)` creates the engine lazily (SQLAlchemy connects on
first use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine

from cupx.adapters.crypto import FieldCipher
from cupx.adapters.db import make_engine, migrate
from cupx.adapters.uow import SqlUnitOfWork
from cupx.config import Settings

__all__ = ["Runtime", "bootstrap"]


@dataclass
class Runtime:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @cached_property
    def cipher(self) -> FieldCipher:
        s = self.settings
        return FieldCipher(s.data_keys, s.active_data_key, s.lookup_hash_key)

    def uow(self, **context: Any) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self, context)

    def migrate(self) -> None:
        migrate(self.engine)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def bootstrap(settings: Settings | None = None, engine: Engine | None = None) -> Runtime:
    return Runtime(settings=settings or Settings(), _engine=engine)

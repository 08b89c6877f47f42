"""`SqlUnitOfWork`: a SQLAlchemy connection and transaction, with repositories built on demand.

Each repository class is constructed as `cls(connection, runtime)`, where `runtime` gives access to the
cipher and settings. On PostgreSQL, repositories may lock rows (`SELECT ... FOR UPDATE`) inside it.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine

from cupx.adapters.crypto import FieldCipher
from cupx.adapters.repositories import IMPLEMENTATIONS, load_all
from cupx.config import Settings
from cupx.services.uow import UnitOfWork

__all__ = ["RuntimeLike", "SqlUnitOfWork"]


class RuntimeLike(Protocol):
    """What repositories may use of the runtime (defined in `cupx.bootstrap`, a layer above)."""

    settings: Settings

    @property
    def cipher(self) -> FieldCipher: ...

T = TypeVar("T")


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: Engine, runtime: RuntimeLike, context: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.runtime = runtime
        self._context = context or {}
        self.connection: Connection | None = None
        self._repos: dict[type, Any] = {}

    def __enter__(self) -> SqlUnitOfWork:
        load_all()
        self.connection = self.engine.connect()
        self.connection.begin()
        self._repos = {}
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.rollback()
        finally:
            if self.connection is not None:
                self.connection.close()
                self.connection = None

    def __getitem__(self, port: type[T]) -> T:
        if self.connection is None:
            raise RuntimeError("unit of work used outside its `with` block")
        if port not in self._repos:
            cls = IMPLEMENTATIONS.get(port)
            if cls is None:
                raise LookupError(f"no repository implements {port.__name__}")
            self._repos[port] = cls(self.connection, self.runtime)
        repo: T = self._repos[port]
        return repo

    def commit(self) -> None:
        assert self.connection is not None
        self.connection.commit()
        self.connection.begin()

    def rollback(self) -> None:
        if self.connection is not None and self.connection.in_transaction():
            self.connection.rollback()

    @property
    def context(self) -> dict[str, Any]:
        return self._context

"""The unit of work: one transaction, and the repositories that work inside it.

Handlers ask the unit of work for a repository by its port (`uow[DebtRepository]`), so services never
import an adapter. Only handlers call `commit()`; leaving the `with` block without a commit rolls back,
so nothing is half-written.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Any, Self, TypeVar

__all__ = ["UnitOfWork"]

T = TypeVar("T")


class UnitOfWork(abc.ABC):
    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    @abc.abstractmethod
    def __getitem__(self, port: type[T]) -> T: ...

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @property
    def context(self) -> dict[str, Any]:
        """Request-scoped facts (the acting user, `now`) handlers may read."""
        return {}

"""Which adapter class implements which port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["IMPLEMENTATIONS", "implements"]

IMPLEMENTATIONS: dict[type, type] = {}
C = TypeVar("C", bound=type[Any])


def implements(port: type) -> Callable[[C], C]:
    def register(cls: C) -> C:
        IMPLEMENTATIONS[port] = cls
        return cls

    return register

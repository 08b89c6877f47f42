"""Tables of the analytics area (see the area's package docstring)."""

from cupx.adapters.tables.base import metadata

__all__ = ["metadata"]

"""Repository implementations, one module per area; each class is registered for its port with
`@implements(Port)` and built by `SqlUnitOfWork` on first use inside a transaction."""

import importlib
import pkgutil

from cupx.adapters.repositories.registry import IMPLEMENTATIONS, implements

__all__ = ["IMPLEMENTATIONS", "implements", "load_all"]


def load_all() -> None:
    """Import every repository module so its `@implements` registrations run."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "registry":
            importlib.import_module(f"{__name__}.{mod.name}")

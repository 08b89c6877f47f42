"""Repository implementations, one module per area; each class is registered for its port with
`@implements(Port)` and built by `SqlUnitOfWork` on first use inside a transaction."""

import importlib
import pkgutil

from cupx.adapters.repositories.registry import IMPLEMENTATIONS, implements

__all__ = ["IMPLEMENTATIONS", "implements", "load_all"]


_loaded: list[bool] = []  # set once every module is imported: scanning the package costs ~1 ms per unit of work


def load_all() -> None:
    """Import every repository module so its `@implements` registrations run."""
    if _loaded:
        return
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "registry":
            importlib.import_module(f"{__name__}.{mod.name}")
    _loaded.append(True)

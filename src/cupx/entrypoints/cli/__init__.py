"""The `cupx` command. Each module in this package adds its commands with `register(app)`, so areas
do not edit one shared file. Errors from below become a message naming the field and exit code 2 (bad
input) or 1 (the operation found problems)."""

from __future__ import annotations

import importlib
import pkgutil

import typer

__all__ = ["app", "main"]

app = typer.Typer(name="cupx", help="CU-PX collections platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


def _register_all() -> None:
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        module.register(app)


_register_all()


def main() -> None:
    app()

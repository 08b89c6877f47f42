"""Shared CLI plumbing: the runtime from settings, and turning CupxError into a clear exit."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator

import typer

from cupx.bootstrap import Runtime, bootstrap
from cupx.config import Settings
from cupx.domain.errors import CupxError

__all__ = ["cli_errors", "runtime", "echo_json"]


def runtime(database_url: str | None = None) -> Runtime:
    settings = Settings() if database_url is None else Settings(database_url=database_url)
    return bootstrap(settings)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Print a CupxError as `error [code] where: message` on stderr and exit 2."""
    try:
        yield
    except CupxError as exc:
        typer.echo(f"error [{exc.code}] {exc}", err=True)
        raise typer.Exit(2) from None


def echo_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, default=str, sort_keys=False) + "\n")

"""`cupx serve --workers N --no-access-log`: several Uvicorn processes need a factory import string, and
each worker's app must reach the database given on the command line."""

from __future__ import annotations

import os
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from cupx.bootstrap import Runtime
from cupx.entrypoints.cli import app as cli
from cupx.entrypoints.cli.staff import serve_app


def test_serve_with_workers_runs_the_factory_with_the_database_url(runtime: Runtime,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setenv("CUPX_DATABASE_URL", "sqlite:///unused.db")  # restored after the test
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    url = runtime.settings.database_url
    result = CliRunner().invoke(cli, ["serve", "--port", "8124", "--workers", "2", "--no-access-log",
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    (target, kw), = calls
    assert target == "cupx.entrypoints.cli.staff:serve_app" and kw["factory"] is True
    assert (kw["workers"], kw["port"], kw["access_log"]) == (2, 8124, False)
    assert kw["log_config"]["handlers"]["access"]["filters"] == ["strip_query"]
    assert os.environ["CUPX_DATABASE_URL"] == url
    built = serve_app()
    assert isinstance(built, FastAPI) and built.state.runtime.settings.database_url == url

"""`cupx user create|password|disable|enable`, `cupx token create|list|revoke` and `cupx serve`.

Passwords come from a hidden prompt with confirmation, or from the first line of standard input with
`--password-stdin` (for scripts); they never appear in the process list or the shell history. A new API
token is printed once, alone on standard output, so `TOKEN=$(cupx token create alice)` works.
"""

from __future__ import annotations

import copy
import gc
import logging
import os
import sys
from typing import Any

import typer

from cupx.domain.staff import Role
from cupx.entrypoints.cli._common import cli_errors, runtime
from cupx.services.staff import create_token, create_user, revoke_token, set_password, set_user_active, tokens_of

__all__ = ["StripQueryString", "register", "serve_log_config"]

user_app = typer.Typer(help="Staff users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (bearer credentials for the API).", no_args_is_help=True)
DB_OPTION = typer.Option(None, "--database-url", help="defaults to CUPX_DATABASE_URL")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("create")
def user_create(
    username: str = typer.Option(..., "--username", "-u", help="login name"),
    role: Role = typer.Option(..., "--role", "-r", help="admin, manager, supervisor, agent, compliance, auditor"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
    database_url: str | None = DB_OPTION,
) -> None:
    """Create a staff user with a role."""
    password = _read_password(password_stdin)
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        user_id = create_user(uow, username, password, role)
    typer.echo(f"created user {username} (id {user_id}, role {role})")


@user_app.command("password")
def user_password(username: str = typer.Argument(...),
                  password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
                  database_url: str | None = DB_OPTION) -> None:
    """Set a new password for a user."""
    password = _read_password(password_stdin)
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        set_password(uow, username, password)
    typer.echo(f"password of {username} changed")


def _set_active(username: str, active: bool, database_url: str | None) -> None:
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        set_user_active(uow, username, active)
    typer.echo(f"user {username} {'enabled' if active else 'disabled'}")


@user_app.command("disable")
def user_disable(username: str = typer.Argument(...), database_url: str | None = DB_OPTION) -> None:
    """Disable a user: their sessions stop working at once, their tokens within 5 seconds."""
    _set_active(username, False, database_url)


@user_app.command("enable")
def user_enable(username: str = typer.Argument(...), database_url: str | None = DB_OPTION) -> None:
    """Re-enable a disabled user."""
    _set_active(username, True, database_url)


@token_app.command("create")
def token_create(username: str = typer.Argument(..., help="the user the token acts as"),
                 name: str = typer.Option("", "--name", help="what the token is for"),
                 database_url: str | None = DB_OPTION) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        token = create_token(uow, username, name=name)
    typer.echo(token)
    typer.echo("store this token now: it cannot be shown again", err=True)


@token_app.command("list")
def token_list(username: str = typer.Argument(...), database_url: str | None = DB_OPTION) -> None:
    """List a user's tokens (id, name, created, last used, revoked)."""
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        tokens = tokens_of(uow, username)
    for t in tokens:
        used = t.last_used_at.isoformat() if t.last_used_at else "never"
        state = "revoked" if t.revoked else "active"
        typer.echo(f"{t.id}\t{t.name or '-'}\tcreated {t.created_at.isoformat()}\tused {used}\t{state}")


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(...), database_url: str | None = DB_OPTION) -> None:
    """Revoke a token by id; running servers stop accepting it within 5 seconds (their token cache)."""
    rt = runtime(database_url)
    with cli_errors(), rt.uow() as uow:
        revoke_token(uow, token_id)
    typer.echo(f"token {token_id} revoked")


class StripQueryString(logging.Filter):
    """Drops the query string from access-log lines: look-ups such as `?phone=` or `?email=` carry
    personal data, which must never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            args = list(record.args)
            args[2] = args[2].split("?", 1)[0]
            record.args = tuple(args)
        return True


def serve_log_config() -> dict[str, Any]:
    """Uvicorn's default logging, with query strings stripped from the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["strip_query"] = {"()": f"{__name__}.StripQueryString"}
    config["handlers"]["access"]["filters"] = ["strip_query"]
    return config


def serve_app() -> Any:
    """Uvicorn factory for `cupx serve --workers N`: each worker process builds its own runtime and app
    (settings from CUPX_* in the environment, where `serve` puts `--database-url`)."""
    from cupx.entrypoints.api import create_app

    return _frozen(create_app(runtime()))


def _frozen(app: Any) -> Any:
    # The app, its routes and modules live as long as the process: moved out of the collector's reach,
    # they are not scanned again by every full collection (shorter pauses, a shorter latency tail).
    gc.collect()
    gc.freeze()
    return app


def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers", min=1, help="processes; 2 on a 2-core machine"),
          access_log: bool = typer.Option(True, "--access-log/--no-access-log",
                                          help="one line per request (costs CPU under load)"),
          database_url: str | None = DB_OPTION) -> None:
    """Serve the API and the web pages with Uvicorn (uvloop and httptools when installed)."""
    import uvicorn

    from cupx.entrypoints.api import create_app

    rt = runtime(database_url)
    typer.echo(f"CU-PX serving at http://{host}:{port}/  (API docs at /docs; Ctrl-C to stop)")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "log_config": serve_log_config(),
                               "access_log": access_log}
    if workers == 1:
        uvicorn.run(_frozen(create_app(rt)), **options)
        return
    # Several processes need an import string: each worker builds its app from the environment.
    os.environ["CUPX_DATABASE_URL"] = rt.settings.database_url
    uvicorn.run(f"{__name__}:serve_app", factory=True, workers=workers, **options)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command("serve")(serve)

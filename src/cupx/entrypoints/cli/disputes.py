"""`cupx dispute record|verify|resolve`: disputes (RULES.md R-13) from the command line.

Instants are ISO 8601; one without a zone is refused (the service names the field). Every command prints
JSON; errors print `error [code] where: message` and exit 2.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from cupx.domain.errors import ValidationError
from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime
from cupx.services.disputes import (
    RecordDispute,
    ResolveDispute,
    SendVerification,
    record_dispute,
    resolve_dispute,
    send_verification,
)

__all__ = ["register"]

DB = typer.Option(None, "--database-url", help="defaults to CUPX_DATABASE_URL")
ACTOR = typer.Option("cli", "--actor", help="who does this (recorded in the audit trail)")

dispute_app = typer.Typer(help="Disputes: record, send verification, resolve.", no_args_is_help=True)


def _instant(text: str | None, field: str) -> datetime:
    """Now when not given; otherwise parsed as is (a naive instant reaches the service and is refused)."""
    if text is None:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"not an ISO 8601 instant: {text!r}", field=field) from None


@dispute_app.command("record")
def record(debt_id: int = typer.Option(...), grounds: str = typer.Option(...),
           medium: str = typer.Option("letter", help="letter, email, portal, telephone_call, ..."),
           written: bool = typer.Option(True, "--written/--oral"),
           received_at: str | None = typer.Option(None, help="ISO instant with zone; default now"),
           submitted_at: str | None = typer.Option(None, help="ISO instant with zone the consumer sent it"),
           actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Record a dispute: the case becomes disputed and pending collection messages on it are cancelled."""
    with cli_errors():
        cmd = RecordDispute(debt_id, _instant(received_at, "received_at"), written, medium, grounds,
                            _instant(submitted_at, "submitted_at") if submitted_at else None, actor)
        with runtime(database_url).uow() as uow:
            echo_json(record_dispute(uow, cmd).to_dict())


@dispute_app.command("verify")
def verify(debt_id: int = typer.Option(...), sent_at: str | None = typer.Option(None, help="ISO instant with zone"),
           actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Record that verification of a disputed debt was sent."""
    with cli_errors():
        cmd = SendVerification(debt_id, _instant(sent_at, "sent_at"), actor)
        with runtime(database_url).uow() as uow:
            echo_json(send_verification(uow, cmd).to_dict())


@dispute_app.command("resolve")
def resolve(debt_id: int = typer.Option(...), upheld: bool = typer.Option(..., "--upheld/--not-upheld"),
            at: str | None = typer.Option(None, help="ISO instant with zone; default now"),
            actor: str = ACTOR, database_url: str | None = DB) -> None:
    """Upheld closes the case; not upheld (after verification) returns it to collection."""
    with cli_errors():
        cmd = ResolveDispute(debt_id, upheld, _instant(at, "at"), actor)
        with runtime(database_url).uow() as uow:
            echo_json(resolve_dispute(uow, cmd).to_dict())


def register(app: typer.Typer) -> None:
    app.add_typer(dispute_app, name="dispute")

"""`cupx template ...`, `cupx dispatch`, `cupx worker`, `cupx letters batch`: communications commands.

- `cupx template preview TEMPLATE_ID --debt DEBT_ID [--channel C --lang L]` prints exactly what the
  dispatcher would send now (recipient, subject, headers, body) or why it would not send.
- `cupx template save FILE --id ID --channel C --lang L` stores a new version; a template that would
  leave out required content is refused, naming the element.
- `cupx dispatch` sends everything due in this process (`--celery` queues batches for the workers).
- `cupx worker` runs a Celery worker on `settings.broker_url`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from cupx.comms.defaults import parse_template_file
from cupx.comms.rendering import TemplateSource
from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime

__all__ = ["register"]

template_app = typer.Typer(help="Message templates: list, save a new version, preview.", no_args_is_help=True)
letters_app = typer.Typer(help="Letters: daily print batches.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(UTC)


@template_app.command("preview")
def preview_cmd(template_id: str, debt: int = typer.Option(..., "--debt", help="debt id"),
                channel: str | None = typer.Option(None, "--channel", help="sms, email, letter, call_task"),
                lang: str | None = typer.Option(None, "--lang", help="language, e.g. en or es"),
                at: str | None = typer.Option(None, "--at", help="ISO-8601 instant with offset (default: now)"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Render exactly what would be sent for DEBT now (or at --at)."""
    from cupx.domain.errors import ValidationError
    from cupx.services.templates import ensure_default_templates, preview_message

    rt = runtime()
    with cli_errors():
        when = datetime.fromisoformat(at) if at else _now()
        if when.tzinfo is None:
            raise ValidationError("--at needs a UTC offset, e.g. 2026-06-02T16:00:00+00:00", field="at")
        ensure_default_templates(rt.uow, _now())
        p = preview_message(rt.uow, template_id=template_id, debt_id=debt, now=when, channel=channel,
                            language=lang)
    if as_json:
        echo_json(p.to_dict())
        return
    typer.echo(f"channel: {p.channel}  template: {p.template_id} v{p.template_version}  language: {p.language}")
    if not p.would_send:
        typer.echo(f"would NOT send: {p.reason}")
        raise typer.Exit(1)
    typer.echo(f"to: {p.to}")
    for name, value in p.headers.items():
        typer.echo(f"{name}: {value}")
    if p.subject:
        typer.echo(f"subject: {p.subject}")
    typer.echo("")
    typer.echo(p.body)


@template_app.command("list")
def list_cmd() -> None:
    """The newest version of every template."""
    from cupx.services.dispatch_ports import TemplateRepository
    from cupx.services.templates import ensure_default_templates

    rt = runtime()
    ensure_default_templates(rt.uow, _now())
    with rt.uow() as uow:
        latest = uow[TemplateRepository].latest()
    for (tid, ch, lang), t in sorted(latest.items()):
        where = ",".join(t.jurisdictions)
        typer.echo(f"{tid:24} {ch:10} {lang:4} v{t.version}  purpose={t.purpose} jurisdictions={where}")


@template_app.command("save")
def save_cmd(path: Path, template_id: str | None = typer.Option(None, "--id"),
             channel: str | None = typer.Option(None, "--channel"), lang: str | None = typer.Option(None, "--lang"),
             author: str = typer.Option("cli", "--author")) -> None:
    """Store FILE (front matter + Jinja2 body) as the next version; refused if required content is missing."""
    from cupx.services.templates import save_template

    parsed = parse_template_file(path.name if path.name.count(".") >= 3 else "x.sms.en.j2", path.read_text())
    source = TemplateSource(template_id=template_id or parsed.template_id, channel=channel or parsed.channel,
                            language=lang or parsed.language, body=parsed.body, subject=parsed.subject,
                            purpose=parsed.purpose, jurisdictions=parsed.jurisdictions, flags=parsed.flags)
    rt = runtime()
    with cli_errors():
        saved = save_template(rt.uow, source, created_by=author, now=_now())
    typer.echo(f"saved {saved.template_id} {saved.channel} {saved.language} v{saved.version}")


@template_app.command("load-defaults")
def load_defaults_cmd() -> None:
    """Store the shipped templates that have no version yet."""
    from cupx.services.templates import ensure_default_templates

    typer.echo(f"added {ensure_default_templates(runtime().uow, _now())} templates")


def dispatch_cmd(once: bool = typer.Option(False, "--once", help="one batch only"),
                 batch_size: int = typer.Option(200, "--batch-size"),
                 channel: list[str] = typer.Option([], "--channel", help="only these channels"),
                 celery: bool = typer.Option(False, "--celery", help="queue batches for `cupx worker` instead"),
                 batches: int = typer.Option(4, "--batches", help="with --celery: how many batch tasks"),
                 rate: list[str] = typer.Option([], "--rate", help="CHANNEL=PER_SECOND, e.g. sms=30")) -> None:
    """Send the due outbox messages (guard re-checked at send time)."""
    try:
        limits = {k: float(v) for k, _, v in (r.partition("=") for r in rate)}
    except ValueError:
        typer.echo("error [validation_error] field 'rate': expected CHANNEL=PER_SECOND", err=True)
        raise typer.Exit(2) from None
    if celery:
        from cupx.entrypoints.worker import dispatch_batch

        for _ in range(batches):
            dispatch_batch.apply_async(kwargs={"batch_size": batch_size, "channels": channel or None})
        typer.echo(f"queued {batches} dispatch batches")
        return
    from cupx.adapters.channels import build_senders
    from cupx.services.dispatch import DispatchConfig, Dispatcher

    rt = runtime()
    config = DispatchConfig(batch_size=batch_size, channels=tuple(channel) or None, rate_limits=limits)
    dispatcher = Dispatcher(rt.uow, build_senders(rt.settings), config=config)
    try:
        report = dispatcher.run(max_batches=1 if once else None)
    finally:
        dispatcher.close()
    echo_json(report.__dict__)


def worker_cmd(queue: str = typer.Option("cupx", "--queue", "-Q"), concurrency: int = typer.Option(2, "--concurrency"),
               pool: str = typer.Option("prefork", "--pool", help="prefork, threads or solo"),
               loglevel: str = typer.Option("INFO", "--loglevel")) -> None:
    """Run a Celery worker that dispatches outbox batches (broker: settings.broker_url)."""
    from cupx.entrypoints.worker import app as celery_app

    celery_app.worker_main(["worker", f"--loglevel={loglevel}", "-Q", queue, f"--concurrency={concurrency}",
                            f"--pool={pool}"])


@letters_app.command("batch")
def letters_batch_cmd(day: str | None = typer.Option(None, "--date", help="YYYY-MM-DD, default today (UTC)")) -> None:
    """Close a day's print batch: manifest.csv and batch.json next to the PDFs."""
    from cupx.adapters.channels.letters import build_print_batch

    rt = runtime()
    on = date.fromisoformat(day) if day else _now().date()
    echo_json(build_print_batch(rt.settings.data_dir / "letters", on))


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")
    app.add_typer(letters_app, name="letters")
    app.command("dispatch")(dispatch_cmd)
    app.command("worker")(worker_cmd)

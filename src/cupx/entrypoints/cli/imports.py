"""`cupx init` (create or migrate the database) and `cupx import KIND FILE` (docs/imports.md).

`import` prints a summary (inserted / updated / unchanged / rejected) and exits 1 when any row was
rejected (the reasons are in FILE.rejects.csv), 2 when the file is refused as malformed.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime
from cupx.services.imports import ImportKind, ImportReport, import_file

__all__ = ["register"]

_LARGE_FILE_BYTES = 2_000_000  # show a progress bar above ~20k rows


def init(database_url: str | None = typer.Option(None, "--database-url", help="defaults to CUPX_DATABASE_URL")) -> None:
    """Create the database or migrate it to the newest schema."""
    rt = runtime(database_url)
    with cli_errors():
        rt.migrate()
    typer.echo(f"database ready: {rt.engine.url.render_as_string(hide_password=True)}")


def import_(kind: ImportKind = typer.Argument(..., help="customers, debts, ledger or contacts"),
            file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
            as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
            database_url: str | None = typer.Option(None, "--database-url")) -> None:
    """Import a CSV or JSON Lines file; bad rows go to FILE.rejects.csv."""
    rt = runtime(database_url)
    with cli_errors():
        if file.stat().st_size >= _LARGE_FILE_BYTES and not as_json:
            report = _with_progress(rt, kind, file)
        else:
            report = import_file(rt, kind.value, file)
    if as_json:
        echo_json(report.to_dict())
    else:
        _print_summary(report)
    if not report.ok:
        raise typer.Exit(1)


def _with_progress(rt: object, kind: ImportKind, file: Path) -> ImportReport:
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"{kind.value}: reading", total=1)

        def tell(stage: str, completed: int, total: int) -> None:
            bar.update(task, description=f"{kind.value}: {stage}", completed=completed, total=max(total, 1))

        return import_file(rt, kind.value, file, progress=tell)  # type: ignore[arg-type]


def _print_summary(report: ImportReport) -> None:
    typer.echo(f"{report.kind} from {report.path.name}: {report.rows_total} rows - "
               f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged, "
               f"{report.rejected} rejected ({report.seconds:.1f}s)")
    if report.rejects_path is not None:
        for row, field, reason in report.problems[:5]:
            typer.echo(f"  row {row}, {field}: {reason}", err=True)
        more = len(report.problems) - 5
        typer.echo(f"  {'... and ' + str(more) + ' more; ' if more > 0 else ''}all reasons in {report.rejects_path}",
                   err=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_)

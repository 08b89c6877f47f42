"""`cupx compliance check FILE [--expected]` (issue 3 contract) and `cupx audit verify|purge|export`.

check: one JSON object per case per line (id, decision, reason_codes, advisory_flags, computed,
citations, override_permitted). With --expected, grades cases carrying `expected`, prints
`N passed, M failed` (the reasons of each failure on stderr) and exits 1 on any failure. Bad input
names the case and field on stderr, exits 2, and the other cases are still evaluated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from cupx.compliance import evaluate
from cupx.compliance.grading import grade, load_cases
from cupx.domain.errors import CupxError
from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime

__all__ = ["register"]


def _case_name(case: Any, index: int) -> str:
    if isinstance(case, dict) and case.get("id") is not None:
        return f"case {case['id']!r}"
    return f"case #{index + 1}"


def _check(file: Path, expected: bool) -> int:
    try:
        cases = load_cases(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error [validation_error] file {str(file)!r}: {exc}", err=True)
        return 2
    except CupxError as exc:
        typer.echo(f"error [{exc.code}] {file}: {exc}", err=True)
        return 2
    bad = passed = failed = 0
    for i, case in enumerate(cases):
        try:
            if not isinstance(case, dict):
                raise CupxError("a case must be a mapping", field="case")
            decision = evaluate(case.get("context") or {}, case.get("events") or [], case.get("action") or {})
        except CupxError as exc:
            bad += 1
            typer.echo(f"error [{exc.code}] {_case_name(case, i)}, {exc}", err=True)
            continue
        except (ValueError, TypeError, KeyError) as exc:  # a malformed nested value the models let through
            bad += 1
            typer.echo(f"error [validation_error] {_case_name(case, i)}: {exc}", err=True)
            continue
        line: dict[str, Any] = ({"id": case["id"]} if case.get("id") is not None else {}) | decision.to_dict()
        echo_json(line)
        if expected and isinstance(case.get("expected"), dict):
            problems = grade(case["expected"], decision)
            if problems:  # stdout keeps exactly one decision object per case; the why goes to stderr
                typer.echo(f"FAIL {_case_name(case, i)}: {'; '.join(problems)}", err=True)
                failed += 1
            else:
                passed += 1
    if expected:
        typer.echo(f"{passed} passed, {failed + bad} failed")
    return 2 if bad else (1 if failed else 0)


def register(app: typer.Typer) -> None:
    comp = typer.Typer(help="Compliance guard tools.", no_args_is_help=True)
    audit = typer.Typer(help="Guard decision audit records (hash chain).", no_args_is_help=True)

    @comp.command("check")
    def check(file: Path = typer.Argument(..., help="YAML/JSON case file"),
              expected: bool = typer.Option(False, "--expected", help="grade cases against `expected`")) -> None:
        """Evaluate every case in FILE and print one JSON decision per line."""
        raise typer.Exit(_check(file, expected))

    @audit.command("verify")
    def verify(database_url: str | None = typer.Option(None, "--database-url")) -> None:
        """Recompute the hash chain; report the first changed, inserted or deleted record."""
        from cupx.services.audit import verify_chain

        with cli_errors():
            report = verify_chain(runtime(database_url))
        echo_json(report.to_dict())
        raise typer.Exit(0 if report.ok else 1)

    @audit.command("purge")
    def purge(as_of: str = typer.Option(None, "--as-of", help="ISO date; default today (UTC)"),
              database_url: str | None = typer.Option(None, "--database-url")) -> None:
        """Delete records past retention (C-15/C-17), keeping a checkpoint so the chain still verifies."""
        from cupx.services.audit import purge_expired

        day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
        with cli_errors():
            result = purge_expired(runtime(database_url), day)
        echo_json(result)

    @audit.command("export")
    def export(debt: str = typer.Option(..., "--debt", help="debt id"),
               database_url: str | None = typer.Option(None, "--database-url")) -> None:
        """Print every audit record of one debt, one JSON object per line."""
        from cupx.services.audit import export_debt

        with cli_errors():
            for record in export_debt(runtime(database_url), debt):
                echo_json(record)

    app.add_typer(comp, name="compliance")
    app.add_typer(audit, name="audit")

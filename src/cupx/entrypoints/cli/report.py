"""`cupx report kpis [--json]`: the collection KPIs of the database (definitions in docs/kpis.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime

__all__ = ["register", "render_kpis"]

report_app = typer.Typer(help="Reports.", no_args_is_help=True)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@report_app.command("kpis")
def kpis_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    date_from: str | None = typer.Option(None, "--from", help="First day of the period (default: sim start)."),
    date_to: str | None = typer.Option(None, "--to", help="Last day of the period (default: last day)."),
    segment: str | None = typer.Option(None, "--segment"),
    strategy: str | None = typer.Option(None, "--strategy"),
) -> None:
    """Recovery, cure and roll rates, promises, contact rates, cost, compliance blocks, arms, CSAT."""
    from cupx.services.kpis import KpiFilters, kpis

    rt = runtime()
    with cli_errors(), rt.uow() as uow:
        k = kpis(uow, KpiFilters(_d(date_from), _d(date_to), segment, strategy))
    if as_json:
        echo_json(k)
    else:
        render_kpis(k, Console())


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def render_kpis(k: dict[str, Any], console: Console) -> None:
    """The headline KPIs as a Rich table (shared with `cupx demo`)."""
    t = Table(title=f"KPIs {k['period']['from']} .. {k['period']['to']}  ({k['accounts']} accounts)")
    t.add_column("KPI")
    t.add_column("value", justify="right")
    for cur, m in k["currencies"].items():
        t.add_row(f"collected ({cur})", f"{m['collected_minor'] / 100:,.2f}")
        t.add_row(f"recovery rate ({cur})", _pct(m["recovery_rate"]))
        t.add_row(f"cost per {cur} collected", f"{m['cost_per_unit_collected']:.4f}")
    t.add_row("cure rate", _pct(k["cure_rate"]))
    t.add_row("promise-kept rate", _pct(k["promises"]["promise_kept_rate"]))
    t.add_row("contact rate", _pct(k["contact"]["contact_rate"]))
    t.add_row("right-party contact rate", _pct(k["contact"]["rpc_rate"]))
    t.add_row("compliance blocks", str(sum(k["compliance_blocks"].values())))
    t.add_row("CSAT (1-5)", f"{k['csat']['average']:.2f} ({k['csat']['responses']} answers)")
    for arm in k["arms"]:
        t.add_row(f"arm {arm['arm']}: recovery / cure",
                  f"{_pct(arm['recovery_rate'])} / {_pct(arm['cure_rate'])}")
    console.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")

"""`cupx cycle ...`: run the nightly cycle, explain a debt, dry-run a strategy, manage the strategy registry.

    cupx cycle run --as-of 2026-11-30            idempotent: the same date twice creates nothing new
    cupx cycle explain DEBT_ID --as-of DATE      features, segment, arm, chosen step, other steps, guard,
                                                 the active model's reasons (or: the rule score was used)
    cupx cycle dry-run --strategy FILE --as-of DATE   counts and the diff vs the live set; writes nothing
    cupx cycle strategy add FILE [--live]        store the YAML text and its sha256 as a version
    cupx cycle strategy live ID VERSION | list
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime

__all__ = ["register"]

cycle_app = typer.Typer(help="The nightly collection cycle.", no_args_is_help=True)
strategy_app = typer.Typer(help="The strategy registry.", no_args_is_help=True)


def _date(text: str | None) -> date:
    return date.fromisoformat(text) if text else datetime.now(UTC).date()


@cycle_app.command("run")
def run_cmd(as_of: str | None = typer.Option(None, "--as-of", help="Run date (default: today, UTC)."),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Run the night's promise/plan/hold jobs, then decide today's treatment of every open debt and write
    decisions, outbox rows and the guard's audit records."""
    from cupx.services.cycle import run_cycle

    rt = runtime()
    with cli_errors():
        summary = run_cycle(rt.uow, _date(as_of), datetime.now(UTC))
    out = {"as_of": summary.as_of.isoformat(), "status": summary.status, **summary.counts,
           **{k: round(v, 3) for k, v in summary.timings.items()}}
    if as_json:
        echo_json(out)
        return
    t = Table(title=f"cycle {out['as_of']}: {summary.status}")
    t.add_column("what")
    t.add_column("value", justify="right")
    for k, v in out.items():
        t.add_row(k, str(v))
    Console().print(t)


@cycle_app.command("explain")
def explain_cmd(debt_id: int, as_of: str | None = typer.Option(None, "--as-of"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Why the cycle decides what it decides for one debt (the same compiled plan, one customer)."""
    from cupx.services.cycle_explain import explain_debt

    rt = runtime()
    with cli_errors():
        ex = explain_debt(rt.uow, debt_id, _date(as_of))
    if as_json:
        echo_json(ex)
        return
    _print_explain(ex)


def _print_explain(ex: dict[str, Any]) -> None:
    c = Console()
    if not ex["in_cycle"]:
        c.print(f"debt {ex['debt_id']}: {ex['why'][0]}")
        return
    c.print(f"[bold]debt {ex['debt_id']}[/] (customer {ex['customer_id']}) as of {ex['as_of']}")
    c.print(f"strategy {ex['strategy']} v{ex['strategy_version']}  segment {ex['segment']}  "
            f"experiment {ex['experiment']} arm {ex['arm']}")
    c.print(f"decision [bold]{ex['decision']}[/] {ex['reasons']}  step {ex['step']} ({ex['channel']}, "
            f"{ex['template']})  message {ex['message_key']} debts {ex['message_debt_ids']}")
    c.print(f"score {ex['score']} band {ex['risk_band']} ({ex['model_version']})  guard {ex['guard']}")
    _print_model(ex["model"])
    for line in ex["steps"]:
        c.print(f"  - {line}")
    feats = {k: v for k, v in ex["features"].items() if v not in (None, 0, False)}
    c.print("features: " + ", ".join(f"{k}={v}" for k, v in feats.items()))


def _print_model(model: dict[str, Any]) -> None:
    # typer.echo, not rich: the reasons are sentences and must not be wrapped or styled
    if model["source"] != "model":
        typer.echo(f"score: {model['note']}")
        return
    typer.echo(f"model {model['model_version']}: score {model['score']:.3f} band {model['risk_band']}; reasons:")
    for reason in model["reasons"] or ["(the model names no reason lowering this score)"]:
        typer.echo(f"  - {reason}")


@cycle_app.command("dry-run")
def dry_run_cmd(strategy: Path = typer.Option(..., "--strategy", exists=True, dir_okay=False),
                as_of: str | None = typer.Option(None, "--as-of"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """What a strategy file would decide, compared with the live strategies. Writes nothing."""
    from cupx.services.cycle_explain import dry_run
    from cupx.strategy.loader import parse_strategy

    rt = runtime()
    with cli_errors():
        result = dry_run(rt.uow, parse_strategy(strategy.read_text(encoding="utf-8"), str(strategy)), _date(as_of))
    if as_json:
        echo_json({"candidate": result.candidate.to_dicts(), "diff": result.diff.to_dicts(),
                   "changed_debts": result.changed_debts})
        return
    for title, df in (("candidate: decisions per strategy/segment/step/channel", result.candidate),
                      ("diff vs live (candidate - live)", result.diff)):
        t = Table(title=title)
        for col in df.columns:
            t.add_column(col)
        for row in df.iter_rows():
            t.add_row(*("" if v is None else str(v) for v in row))
        Console().print(t)
    Console().print(f"debts decided differently: {result.changed_debts}")


@strategy_app.command("add")
def strategy_add(path: Path = typer.Argument(..., exists=True, dir_okay=False),
                 live: bool = typer.Option(False, "--live", help="Make this version live.")) -> None:
    """Validate and store a strategy YAML (text + sha256)."""
    from cupx.services.cycle_strategies import add_strategy

    rt = runtime()
    with cli_errors():
        v = add_strategy(rt.uow, path.read_text(encoding="utf-8"), str(path), datetime.now(UTC), live=live)
    typer.echo(f"{v.strategy_id} v{v.version} sha256 {v.sha256[:12]} {'live' if v.live else 'registered'}")


@strategy_app.command("live")
def strategy_live(strategy_id: str, version: int) -> None:
    """Make a registered version the live one of its strategy."""
    from cupx.services.cycle_strategies import set_live

    rt = runtime()
    with cli_errors():
        set_live(rt.uow, strategy_id, version)
    typer.echo(f"{strategy_id} v{version} is live")


@strategy_app.command("list")
def strategy_list() -> None:
    from cupx.services.cycle_strategies import list_strategies

    rt = runtime()
    with cli_errors():
        for v in list_strategies(rt.uow):
            typer.echo(f"{v.strategy_id}\tv{v.version}\t{v.sha256[:12]}\t{'live' if v.live else ''}\t{v.source}")


def register(app: typer.Typer) -> None:
    cycle_app.add_typer(strategy_app, name="strategy")
    app.add_typer(cycle_app, name="cycle")

"""`cupx demo`: the whole collection loop on a fresh embedded database, then the web app.

Steps: a fresh SQLite file (default ./var/demo.db) -> migrate -> generate a synthetic portfolio
(`cupx.sim.generator`) -> import it through the real importer (contract C9) -> demo staff users ->
simulate the days (`cupx.sim.runner`: cycle, dispatch, customers' responses through the services) ->
headline KPIs -> serve the app with uvicorn (unless --no-serve). `make demo` runs the defaults.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cupx.bootstrap import Runtime, bootstrap
from cupx.config import Settings
from cupx.entrypoints.cli._common import cli_errors

__all__ = ["DEMO_USERS", "prepare_demo", "register"]

# Demo logins (development database only): username, password, role.
DEMO_USERS = (("manager", "demo-manager-pass", "manager"), ("agent", "demo-agent-pass", "agent"),
              ("supervisor", "demo-supervisor-pass", "supervisor"), ("admin", "demo-admin-pass", "admin"))


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


def _fresh_runtime(db: Path, data_dir: Path) -> Runtime:
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    rt = bootstrap(Settings(database_url=f"sqlite:///{db}", data_dir=data_dir))
    rt.migrate()
    return rt


def _import(rt: Runtime, accounts: int, seed: int, start: date, folder: Path, console: Console) -> None:
    from cupx.sim.scenario import load_portfolio

    with _progress(console) as progress:
        tasks: dict[str, Any] = {}

        def tell(kind: str, stage: str, done: int, total: int) -> None:
            if kind not in tasks:
                tasks[kind] = progress.add_task(f"import {kind}", total=None)
            progress.update(tasks[kind], completed=done, total=total or None, description=f"import {kind}: {stage}")

        reports = load_portfolio(rt, accounts, seed, start, folder, tell)
    for kind, report in reports.items():
        console.print(f"imported {kind}: {report.rows_total:,} rows, {report.rejected} rejected")
        for row, field_name, reason in report.problems[:3]:
            console.print(f"  [yellow]{kind} row {row} {field_name}: {reason}[/]")


def _users(rt: Runtime) -> None:
    from cupx.services.staff import create_user

    for username, password, role in DEMO_USERS:
        with rt.uow() as uow:
            create_user(uow, username, password, role)


def prepare_demo(db: Path, accounts: int, days: int, seed: int, console: Console) -> Runtime:
    """Everything but serving: returns the runtime on the simulated database."""
    from cupx.sim.runner import run_days

    data_dir = db.parent / f"{db.stem}-data"
    rt = _fresh_runtime(db, data_dir)
    start = datetime.now(UTC).date() - timedelta(days=days)  # the simulation ends today
    from cupx.sim.scenario import prepare_database

    live = prepare_database(rt, datetime.now(UTC))
    console.print(f"templates loaded; live strategies: {', '.join(live)}")
    console.print(f"generating and importing {accounts:,} customers (seed {seed}) -> {data_dir / 'portfolio'}")
    _import(rt, accounts, seed, start, data_dir / "portfolio", console)
    _users(rt)
    with _progress(console) as progress:
        task = progress.add_task("simulate days", total=days)
        run_days(rt, days, seed=seed, start=start,
                 on_day=lambda done, _info: progress.update(task, completed=done))
    return rt


def _serve(rt: Runtime, host: str, port: int, console: Console) -> None:
    import uvicorn

    from cupx.entrypoints.api import create_app

    console.print(f"\n[bold green]CU-PX is serving at http://{host}:{port}/dashboard[/]  (Ctrl-C to stop)")
    uvicorn.run(create_app(rt), host=host, port=port, log_level="warning")


def demo_cmd(
    accounts: int = typer.Option(20_000, "--accounts", min=100, help="Customers in the synthetic portfolio."),
    days: int = typer.Option(60, "--days", min=1, help="Days to simulate."),
    db: Path = typer.Option(Path("var/demo.db"), "--db", help="SQLite file, recreated from scratch."),
    seed: int = typer.Option(7, "--seed"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app afterwards."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Generate, import and simulate a portfolio on a fresh database, print KPIs, then serve the app."""
    from cupx.entrypoints.cli.report import render_kpis
    from cupx.services.kpis import kpis

    console = Console()
    t0 = time.perf_counter()
    with cli_errors():
        rt = prepare_demo(db, accounts, days, seed, console)
        with rt.uow() as uow:
            render_kpis(kpis(uow), console)
    console.print(f"demo ready in {time.perf_counter() - t0:.0f}s; database {db}")
    console.print("logins: " + ", ".join(f"{u} / {p} ({r})" for u, p, r in DEMO_USERS))
    if serve:
        _serve(rt, host, port, console)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)

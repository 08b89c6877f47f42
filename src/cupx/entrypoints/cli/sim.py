"""`cupx sim generate` (a synthetic portfolio as import files) and `cupx sim run` (advance days)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer

from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime

__all__ = ["register"]

sim_app = typer.Typer(help="Portfolio simulator: synthetic data and simulated customer behaviour.",
                      no_args_is_help=True)


@sim_app.command("generate")
def generate_cmd(
    accounts: int = typer.Option(10_000, "--accounts", min=1, help="Number of customers."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives the same files."),
    out: Path = typer.Option(Path("var/sim"), "--out", help="Directory for the CSV files."),
    as_of: str = typer.Option("2026-09-01", "--as-of", help="The portfolio's date (simulation day 0)."),
    jsonl_customers: bool = typer.Option(False, "--jsonl-customers",
                                         help="Write customers.jsonl with the provenance of phones and e-mails."),
) -> None:
    """Write customers.csv, debts.csv, ledger.csv and contacts.csv in CU-PX's import formats."""
    from cupx.sim.generator import generate, write

    t0 = time.perf_counter()
    portfolio = generate(seed, accounts, date.fromisoformat(as_of))
    paths = write(portfolio, out, customers_format="jsonl" if jsonl_customers else "csv")
    echo_json({"accounts": accounts, "debts": portfolio.debts.height, "ledger": portfolio.ledger.height,
               "contacts": portfolio.contacts.height, "seconds": round(time.perf_counter() - t0, 2),
               "files": {k: str(p) for k, p in paths.items()}})


@sim_app.command("run")
def run_cmd(
    days: int = typer.Option(30, "--days", min=1, help="Days to simulate."),
    seed: int = typer.Option(7, "--seed", help="Seed of the behaviour model (only for a new simulation)."),
    start: str = typer.Option("2026-09-01", "--start", help="Day 0: the generated portfolio's --as-of."),
) -> None:
    """Advance the simulation day by day: cycle, dispatch, simulated responses through the services."""
    from cupx.sim.runner import run_days

    rt = runtime()
    with cli_errors():
        summary = run_days(rt, days, seed=seed, start=date.fromisoformat(start))
    echo_json(summary)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")

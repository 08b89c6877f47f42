"""The `cupx cycle` commands end to end on both databases: register, run twice, explain, dry-run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from cupx.bootstrap import Runtime
from cupx.entrypoints.cli import app
from reference.cycle_portfolio import seed_portfolio

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


def test_cycle_commands(runtime: Runtime, db_url: str) -> None:
    with runtime.uow() as uow:
        seed_portfolio(uow.connection, 40, date(2026, 11, 30), seed=3)
        uow.commit()
    cli = CliRunner()
    env = {"CUPX_DATABASE_URL": db_url, "CUPX_ENVIRONMENT": "test"}
    for name in ("b2b_invoices", "consumer_card", "telecom_utility"):
        res = cli.invoke(app, ["cycle", "strategy", "add", str(STRATEGIES / f"{name}.yaml"), "--live"], env=env)
        assert res.exit_code == 0 and "live" in res.output
    first = cli.invoke(app, ["cycle", "run", "--as-of", "2026-11-30", "--json"], env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["status"] == "completed"
    again = json.loads(cli.invoke(app, ["cycle", "run", "--as-of", "2026-11-30", "--json"], env=env).output)
    assert again["status"] == "already_completed" and again["written.decisions"] == 40
    ex = cli.invoke(app, ["cycle", "explain", "1", "--as-of", "2026-11-30", "--json"], env=env)
    assert ex.exit_code == 0 and json.loads(ex.output)["debt_id"] == 1
    human = cli.invoke(app, ["cycle", "explain", "1", "--as-of", "2026-11-30"], env=env)
    assert human.exit_code == 0 and "strategy" in human.output
    dry = cli.invoke(app, ["cycle", "dry-run", "--strategy", str(STRATEGIES / "consumer_card.yaml"),
                           "--as-of", "2026-11-30", "--json"], env=env)
    assert dry.exit_code == 0 and json.loads(dry.output)["changed_debts"] == 0
    bad = cli.invoke(app, ["cycle", "explain", "999999", "--as-of", "2026-11-30"], env=env)
    assert bad.exit_code == 2 and "not_found" in bad.output

"""`cupx cycle explain` shows the active model's reasons in plain words — the same as `explain_debts` —
and says the rule score was used when no model is active (issue 8), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cupx.adapters.uci import read_uci_csv
from cupx.analytics.scoring import explain_debts
from cupx.analytics.uci import UCI_AS_OF
from cupx.bootstrap import Runtime
from cupx.entrypoints.cli import app
from cupx.services.cycle_explain import explain_debt
from cupx.services.cycle_strategies import add_strategy
from cupx.services.models import PortfolioReader, active_model
from cupx.services.models_ops import activate_model, train_model
from cupx.services.models_uci import import_uci
from uci_layout import write_uci_csv

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "consumer_card.yaml"



def _cli(runtime: Runtime, debt_id: int, *extra: str) -> str:
    env = {"CUPX_DATABASE_URL": runtime.settings.database_url, "CUPX_ENVIRONMENT": "test",
           "CUPX_DATA_DIR": str(runtime.settings.data_dir), "COLUMNS": "250"}
    out = CliRunner().invoke(app, ["cycle", "explain", str(debt_id), "--as-of", UCI_AS_OF.isoformat(), *extra],
                             env=env)
    assert out.exit_code == 0, out.output
    return out.output


def test_explain_shows_the_models_reasons_or_says_the_rule_score_was_used(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.uow() as uow:
        import_uci(uow, read_uci_csv(write_uci_csv(tmp_path / "uci.csv", n=300, seed=1)), NOW)
    add_strategy(runtime.uow, STRATEGY.read_text(), str(STRATEGY), NOW, live=True)
    with runtime.uow() as uow:
        ids = uow[PortfolioReader].tables()["debts"].select("id").collect()["id"].to_list()[:40]

    without = explain_debt(runtime.uow, ids[0], UCI_AS_OF)
    assert without["model"]["source"] == "rule" and without["model"]["reasons"] == []
    assert "the rule score was used" in _cli(runtime, ids[0])

    with runtime.uow() as uow:
        train_model(uow, as_of=UCI_AS_OF, now=NOW, snapshots=1, rounds=20, version="cx-t1")
    with runtime.uow() as uow:
        activate_model(uow, "cx-t1", now=NOW, by="tester")
    with runtime.uow() as uow:
        model = active_model(uow)
        assert model is not None
        explained = explain_debts(uow[PortfolioReader].tables(), UCI_AS_OF, model, ids)
    row = explained.sort(pl.col("reasons").list.len(), descending=True).row(0, named=True)
    assert row["reasons"], "the small model gives reasons for some debt"

    ex = explain_debt(runtime.uow, int(row["debt_id"]), UCI_AS_OF)
    assert ex["in_cycle"] and ex["model"]["source"] == "model" and ex["model"]["model_version"] == "cx-t1"
    assert ex["model"]["reasons"] == list(row["reasons"])
    assert ex["model"]["score"] == pytest.approx(row["score"], abs=1e-12)
    text = _cli(runtime, int(row["debt_id"]))
    assert "cx-t1" in text and "rule score" not in text
    assert all(f"  - {reason}" in text for reason in row["reasons"])
    assert json.loads(_cli(runtime, int(row["debt_id"]), "--json"))["model"]["reasons"] == list(row["reasons"])

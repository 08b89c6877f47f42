"""`cupx cycle explain` shows the active model's reasons in plain words — the same as `explain_debts` —
and says the rule score was used when no model is active (issue 8), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
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

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "consumer_card.yaml"


def _uci_csv(path: Path, n: int = 300, seed: int = 1) -> Path:
    """A small UCI-layout file where a hidden risk drives lateness, payments and default."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    cols: dict[str, object] = {"ID": np.arange(1, n + 1), "LIMIT_BAL": rng.choice([20_000, 50_000, 200_000], n),
                               "SEX": rng.integers(1, 3, n), "EDUCATION": rng.integers(1, 4, n),
                               "MARRIAGE": rng.integers(1, 3, n), "AGE": rng.integers(21, 70, n)}
    for name in ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"):
        cols[name] = np.clip(np.round(risk + rng.normal(0, 0.8, n)), -2, 8).astype(int)
    for k in range(1, 7):
        cols[f"BILL_AMT{k}"] = rng.integers(-500, 60_000, n)
        cols[f"PAY_AMT{k}"] = (rng.integers(0, 5_000, n) * (risk < 0.5)).astype(float)
    cols["default.payment.next.month"] = (risk + rng.normal(0, 0.7, n) > 0.8).astype(int)
    pl.DataFrame(cols).write_csv(path)
    return path


def _cli(runtime: Runtime, debt_id: int, *extra: str) -> str:
    env = {"CUPX_DATABASE_URL": runtime.settings.database_url, "CUPX_ENVIRONMENT": "test",
           "CUPX_DATA_DIR": str(runtime.settings.data_dir), "COLUMNS": "250"}
    out = CliRunner().invoke(app, ["cycle", "explain", str(debt_id), "--as-of", UCI_AS_OF.isoformat(), *extra],
                             env=env)
    assert out.exit_code == 0, out.output
    return out.output


def test_explain_shows_the_models_reasons_or_says_the_rule_score_was_used(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.uow() as uow:
        import_uci(uow, read_uci_csv(_uci_csv(tmp_path / "uci.csv")), NOW)
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

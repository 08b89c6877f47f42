"""The analytics pipeline on a real database: UCI import (from a CSV generated here in the UCI layout),
training through the portfolio tables, the registry (versions, activation, tamper check), evaluation,
drift, portfolio scoring, and the `cupx model` / `cupx uci` commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from cupx.adapters.uci import read_uci_csv
from cupx.analytics.scoring import score_portfolio
from cupx.analytics.uci import UCI_AS_OF
from cupx.bootstrap import Runtime
from cupx.domain.errors import Conflict, NotFound
from cupx.services.models import ModelRegistry, PortfolioReader, active_model
from cupx.services.models_ops import activate_model, drift_report, evaluate_model, train_model
from cupx.services.models_uci import import_uci
from uci_layout import write_uci_csv

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)



@pytest.fixture
def uci_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    raw = read_uci_csv(write_uci_csv(tmp_path / "uci.csv"))
    with runtime.uow() as uow:
        report = import_uci(uow, raw, NOW)
    assert report.accounts == 400 and report.statements == 400 * 7
    return runtime


def test_uci_import_is_idempotent_and_maps_months(uci_runtime: Runtime, tmp_path: Path) -> None:
    raw = read_uci_csv(tmp_path / "uci.csv")
    with uci_runtime.uow() as uow:
        again = import_uci(uow, raw, NOW)
    assert again.accounts == 400
    with uci_runtime.uow() as uow:
        tables = {k: v.collect() for k, v in uow[PortfolioReader].tables().items()}
    assert tables["debts"].height == 400 and tables["statements"].height == 400 * 7
    first = raw.row(0, named=True)
    debt1 = tables["debts"].filter(pl.col("id") == tables["debts"]["id"].min())["id"].item()
    sept = tables["statements"].filter((pl.col("debt_id") == debt1) & (pl.col("period") == date(2005, 9, 1)))
    assert sept["months_late"].item() == int(first["PAY_0"]) and sept["billed_minor"].item() == first["BILL_AMT1"] * 100
    october = tables["statements"].filter((pl.col("debt_id") == debt1) & (pl.col("period") == UCI_AS_OF))
    assert october["months_late"].item() == first["default_next_month"] and october["billed_minor"].item() is None


def test_train_register_activate_score_evaluate_drift(uci_runtime: Runtime) -> None:
    with uci_runtime.uow() as uow:
        assert active_model(uow) is None
        result, record = train_model(uow, as_of=UCI_AS_OF, now=NOW, snapshots=2, rounds=20, version="uci-t1")
    assert record.version == "uci-t1" and not record.active and len(record.data_hash) == 64
    assert 0.5 < result.metrics["auc"] <= 1.0
    assert record.params["rounds"] == 20 and "lightgbm" in record.library_versions
    with uci_runtime.uow() as uow:
        activate_model(uow, "uci-t1", now=NOW, by="tester")
    with uci_runtime.uow() as uow:
        model = active_model(uow)
        assert model is not None and model.version == "uci-t1"
        scores = score_portfolio(uow[PortfolioReader].tables(), UCI_AS_OF, model)
        ev = evaluate_model(uow, as_of=UCI_AS_OF)
        drift = drift_report(uow, as_of=UCI_AS_OF)
    assert scores.height == 400 and scores["score"].is_between(0, 1).all()
    assert ev.metrics["accounts"] == 400 and ev.reliability["accounts"].sum() == 400
    assert drift["feature"][0] == "score" and set(drift["level"]) <= {"stable", "moderate", "major"}


def test_registry_refuses_duplicates_unknown_versions_and_altered_artefacts(uci_runtime: Runtime) -> None:
    with uci_runtime.uow() as uow:
        train_model(uow, as_of=UCI_AS_OF, now=NOW, snapshots=1, rounds=5, version="uci-a")
    with uci_runtime.uow() as uow, pytest.raises(Conflict):
        train_model(uow, as_of=UCI_AS_OF, now=NOW, snapshots=1, rounds=5, version="uci-a")
    with uci_runtime.uow() as uow, pytest.raises(NotFound):
        activate_model(uow, "nope", now=NOW, by="tester")
    with uci_runtime.uow() as uow:
        record = uow[ModelRegistry].records()[0]
    path = uci_runtime.settings.data_dir / record.artefact_path
    path.write_bytes(path.read_bytes().replace(b'"uci-a"', b'"uci-b"'))
    with uci_runtime.uow() as uow, pytest.raises(Conflict):
        activate_model(uow, "uci-a", now=NOW, by="tester")


def test_cli_model_and_uci_commands(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cupx.entrypoints.cli import app

    monkeypatch.setenv("CUPX_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("CUPX_DATA_DIR", str(tmp_path / "var"))
    cli = CliRunner()
    csv = write_uci_csv(tmp_path / "small.csv", n=300, seed=2)
    out = cli.invoke(app, ["uci", "import", "--csv", str(csv)])  # customers and debts via the imports service
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output.strip().splitlines()[-1])
    assert doc["accounts"] == 300 and doc["statements"] == 2100 and 0 < doc["default_rate"] < 1
    out = cli.invoke(app, ["uci", "import", "--csv", str(csv), "--bulk"])  # the other path finds them all
    assert json.loads(out.output.strip().splitlines()[-1])["accounts"] == 300
    out = cli.invoke(app, ["model", "train", "--as-of", "2005-10-01", "--snapshots", "2", "--rounds", "10",
                           "--version", "cli-1"])
    assert out.exit_code == 0, out.output
    assert cli.invoke(app, ["model", "evaluate", "--as-of", "2005-10-01"]).exit_code == 2  # nothing active yet
    assert cli.invoke(app, ["model", "activate", "cli-1"]).exit_code == 0
    out = cli.invoke(app, ["model", "evaluate", "--as-of", "2005-10-01"])
    assert out.exit_code == 0 and "AUC" in out.output and "capture@10%" in out.output
    out = cli.invoke(app, ["model", "drift", "--as-of", "2005-10-01", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)[0]["feature"] == "score"
    out = cli.invoke(app, ["model", "list"])
    assert "* cli-1" in out.output


def test_train_on_a_ledger_only_portfolio(runtime: Runtime) -> None:
    """No statements at all: features and labels come from the ledger and contacts alone."""
    from cupx.adapters.tables.core import contact_events, customers, debts, ledger_entries

    rng = np.random.default_rng(4)
    n = 300
    payer = rng.random(n) < 0.5
    with runtime.engine.begin() as conn:
        conn.execute(customers.insert(), [{"id": i, "external_id": f"c{i}", "name_enc": b"x", "row_hash": "h",
                                           "created_at": NOW, "updated_at": NOW} for i in range(1, n + 1)])
        conn.execute(debts.insert(), [{"id": i, "external_id": f"d{i}", "customer_id": i, "creditor": "Acme",
                                       "product": "other", "currency": "USD", "original_minor": 90_000,
                                       "row_hash": "h", "created_at": NOW, "updated_at": NOW}
                                      for i in range(1, n + 1)])
        def entry(i: int, kind: str, minor: int, day: date) -> dict[str, object]:
            # posted the day it took effect: an entry posted later is unknown to earlier cut-offs
            return {"debt_id": i, "kind": kind, "amount_minor": minor, "currency": "USD", "effective_date": day,
                    "posted_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC)}

        rows = [entry(i, "charge", 90_000, date(2026, 1, 1)) for i in range(1, n + 1)]
        for i in range(1, n + 1):  # payers pay 10,000 between the 5th and the 20th of each month from February
            if payer[i - 1]:
                rows += [entry(i, "payment", 10_000, date(2026, m, int(rng.integers(5, 20)))) for m in range(2, 9)]
        conn.execute(ledger_entries.insert(), rows)
        conn.execute(contact_events.insert(), [{"customer_id": i, "type": "text_sent", "channel": "sms",
                                                "at": datetime(2026, 6, 20, tzinfo=UTC)} for i in range(1, n + 1)])
    with runtime.uow() as uow:
        result, record = train_model(uow, as_of=date(2026, 7, 1), now=NOW, snapshots=3, rounds=30,
                                     version="ledger-1")
    assert record.params["trees"] >= 1
    assert result.metrics["auc"] > 0.9  # paying last month is a near-perfect signal here


def test_models_dashboard_page(uci_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from cupx.entrypoints.api import create_app
    from cupx.services import staff
    from cupx.services.staff import create_token, create_user

    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with uci_runtime.uow() as uow:
        create_user(uow, "boss", "correct horse battery staple", "manager")
    with uci_runtime.uow() as uow:
        token = create_token(uow, "boss", name="t")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(uci_runtime)) as client:
        empty = client.get("/dashboard/models", headers=headers)
        assert empty.status_code == 200 and "No model is registered yet" in empty.text
        with uci_runtime.uow() as uow:
            train_model(uow, as_of=UCI_AS_OF, now=NOW, snapshots=1, rounds=5, version="page-1")
        with uci_runtime.uow() as uow:
            activate_model(uow, "page-1", now=NOW, by="tester")
        page = client.get("/dashboard/models", headers=headers)
    assert page.status_code == 200 and "page-1" in page.text and "Drift of the active model" in page.text

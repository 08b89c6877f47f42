"""The agent desk page GET /desk/debts/{id} and the `score` of GET /api/v1/debts/{id} and `cupx show debt`,
over HTTP and the CLI on the test database (SQLite, and PostgreSQL when configured): without a model the
account says plainly that no model is active; with a small trained and activated model the API, the CLI
and the page show exactly the reasons of `explain_debts`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cupx.adapters.uci import read_uci_csv
from cupx.analytics.scoring import explain_debts
from cupx.analytics.uci import UCI_AS_OF
from cupx.bootstrap import Runtime
from cupx.domain.staff import Role
from cupx.entrypoints.cli import app as cli
from cupx.services.account_view import NO_MODEL
from cupx.services.models import ModelRegistry, PortfolioReader, active_model
from cupx.services.models_ops import activate_model, train_model
from cupx.services.models_uci import import_uci
from uci_layout import write_uci_csv

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
runner = CliRunner()



@pytest.fixture
def scored(runtime: Runtime, tmp_path: Path) -> dict[str, Any]:
    """A UCI-layout portfolio with a small model trained and activated; the debt whose reasons are longest."""
    with runtime.uow() as uow:
        import_uci(uow, read_uci_csv(write_uci_csv(tmp_path / "uci.csv", n=300, seed=1)), NOW)
    with runtime.uow() as uow:
        train_model(uow, as_of=UCI_AS_OF, now=NOW, snapshots=1, rounds=20, version="desk-t1")
    with runtime.uow() as uow:
        activate_model(uow, "desk-t1", now=NOW, by="tester")
    with runtime.uow() as uow:
        model = active_model(uow)
        assert model is not None
        tables = uow[PortfolioReader].tables()
        ids = tables["debts"].select("id").collect()["id"].to_list()[:40]
        explained = explain_debts(tables, UCI_AS_OF, model, ids)
    row = explained.sort(pl.col("reasons").list.len(), descending=True).row(0, named=True)
    assert row["reasons"], "the small model gives reasons for some account"
    return row


def test_agent_sees_the_whole_account_and_that_no_model_is_active(
        client_for: Callable[..., TestClient], make_debt: Callable[..., dict[str, Any]]) -> None:
    first = make_debt(name="Grace Hopper", phone="+13125550123")
    second = make_debt(customer_id=first["customer_id"], amount_minor=5_000)
    agent = client_for(Role.AGENT, session=True)
    page = agent.get(f"/desk/debts/{first['debt_id']}", params={"as_of": "2026-03-01"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for text in ("Grace Hopper", "+13125550123", first["debt_external_id"], second["debt_external_id"],
                 "28 days past due", "$1,000.00", "Next allowed contact", "No promise to pay"):
        assert text in html, text
    assert "No model is active" in html
    api = agent.get(f"/api/v1/debts/{first['debt_id']}", params={"as_of": "2026-03-01"}).json()
    assert api["score"] is None and api["days_past_due"] == 28


def test_the_page_needs_the_agent_desk_permission(
        client_for: Callable[..., TestClient], make_debt: Callable[..., dict[str, Any]],
        anon_client: TestClient) -> None:
    debt = make_debt()
    auditor = client_for(Role.AUDITOR)
    resp = auditor.get(f"/desk/debts/{debt['debt_id']}")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "permission_denied"
    assert auditor.get(f"/api/v1/debts/{debt['debt_id']}").status_code == 200  # the API needs debts:read only
    assert anon_client.get(f"/desk/debts/{debt['debt_id']}").status_code == 401
    assert client_for(Role.SUPERVISOR).get("/desk/debts/no-such-debt").status_code == 404


def test_api_cli_and_page_show_the_reasons_of_explain_debts(
        runtime: Runtime, scored: dict[str, Any], client_for: Callable[..., TestClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUPX_DATA_DIR", str(runtime.settings.data_dir))  # the CLI finds the model artefact
    debt_id, day = scored["debt_id"], UCI_AS_OF.isoformat()
    expected = {"score": pytest.approx(scored["score"], abs=1e-12), "risk_band": scored["risk_band"],
                "model_version": "desk-t1", "reasons": scored["reasons"]}
    agent = client_for(Role.AGENT)
    assert agent.get(f"/api/v1/debts/{debt_id}", params={"as_of": day}).json()["score"] == expected

    out = runner.invoke(cli, ["show", "debt", str(debt_id), "--as-of", day, "--json",
                              "--database-url", runtime.settings.database_url])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["score"] == expected
    table = runner.invoke(cli, ["show", "debt", str(debt_id), "--as-of", day,
                                "--database-url", runtime.settings.database_url], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "Propensity to pay" in table.output and "desk-t1" in table.output
    assert scored["reasons"][0] in table.output

    page = agent.get(f"/desk/debts/{debt_id}", params={"as_of": day}).text
    assert NO_MODEL not in page and "desk-t1" in page and f"risk band <strong>{scored['risk_band']}" in page
    for reason in scored["reasons"]:
        assert reason.replace("'", "&#39;") in page

    with runtime.uow() as uow:  # an altered artefact: the page still opens and says why there is no score
        record = uow[ModelRegistry].records()[0]
    path = runtime.settings.data_dir / record.artefact_path
    path.write_bytes(path.read_bytes().replace(b'"desk-t1"', b'"desk-t2"'))
    resp = agent.get(f"/desk/debts/{debt_id}", params={"as_of": day})
    assert resp.status_code == 200 and "The active model could not score this account" in resp.text

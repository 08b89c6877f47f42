"""Champion/challenger reports from the database: assignments (cycle table), payments from the ledger,
opt-outs and complaints from contact events; the CLI command and the dashboard page."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cupx.adapters.tables.core import contact_events, customers, debts, ledger_entries
from cupx.adapters.tables.cycle import experiment_assignments
from cupx.bootstrap import Runtime
from cupx.domain.errors import NotFound
from cupx.entrypoints.api import create_app
from cupx.services.experiments import experiment_report

NOW = datetime(2026, 10, 1, 12, tzinfo=UTC)
ASSIGNED = date(2026, 9, 1)


def seed_experiment(runtime: Runtime, per_arm: int = 30) -> None:
    """Arm `champion`: a third pay; arm `gentle`: two thirds pay. One complaint and one opt-out in gentle."""
    with runtime.engine.begin() as conn:
        for i in range(2 * per_arm):
            cid = i + 1
            arm = "champion" if i < per_arm else "gentle"
            conn.execute(customers.insert().values(id=cid, external_id=f"c{cid}", name_enc=b"x", row_hash="h",
                                                   created_at=NOW, updated_at=NOW))
            conn.execute(debts.insert().values(id=cid, external_id=f"d{cid}", customer_id=cid, creditor="Acme",
                                               product="other", currency="USD", original_minor=10_000,
                                               row_hash="h", created_at=NOW, updated_at=NOW))
            conn.execute(ledger_entries.insert().values(debt_id=cid, kind="charge", amount_minor=10_000,
                                                        currency="USD", effective_date=date(2026, 1, 1),
                                                        posted_at=NOW))
            pays = (i % 3 == 0) if arm == "champion" else (i % 3 != 0)
            if pays:
                conn.execute(ledger_entries.insert().values(debt_id=cid, kind="payment", amount_minor=10_000,
                                                            currency="USD", effective_date=ASSIGNED + timedelta(5),
                                                            posted_at=NOW))
            conn.execute(experiment_assignments.insert().values(experiment_id="exp-1", customer_id=cid, arm=arm,
                                                                assigned_on=ASSIGNED))
            conn.execute(contact_events.insert().values(customer_id=cid, type="text_sent", channel="sms",
                                                        at=datetime(2026, 9, 2, 15, tzinfo=UTC)))
        for cid, kind in ((per_arm + 1, "complaint"), (per_arm + 2, "electronic_opt_out")):
            conn.execute(contact_events.insert().values(customer_id=cid, type=kind,
                                                        at=datetime(2026, 9, 3, 15, tzinfo=UTC)))


def test_report_per_arm(runtime: Runtime) -> None:
    seed_experiment(runtime)
    with runtime.uow() as uow:
        report = experiment_report(uow, "exp-1", min_sample=20)
    arms = {a.arm: a for a in report.arms}
    assert arms["champion"].accounts == 30 and arms["champion"].payers == 10
    assert arms["gentle"].payers == 20 and arms["gentle"].cure_rate == pytest.approx(20 / 30)
    assert arms["gentle"].complaints == 1 and arms["gentle"].opt_outs == 1 and arms["champion"].complaints == 0
    assert arms["champion"].contact_cost_per_account == pytest.approx(0.02)
    assert arms["gentle"].recovery_rate == pytest.approx(20 / 30)
    comp = report.comparisons[0]
    assert comp.challenger == "gentle" and comp.pay_rate_p < 0.05
    assert report.recommendation.startswith("Promote gentle")


def test_unknown_experiment_is_not_found(runtime: Runtime) -> None:
    with runtime.uow() as uow, pytest.raises(NotFound):
        experiment_report(uow, "missing")


def test_cli_report_json_warns_below_minimum(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from cupx.entrypoints.cli import app

    seed_experiment(runtime, per_arm=6)
    monkeypatch.setenv("CUPX_DATABASE_URL", runtime.settings.database_url)
    out = CliRunner().invoke(app, ["experiment", "report", "exp-1", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["warnings"] and doc["recommendation"].startswith("Keep running")
    text = CliRunner().invoke(app, ["experiment", "report", "exp-1"])
    assert "recommendation:" in text.output and "warning:" in text.output


def test_dashboard_page_needs_reports_permission(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from cupx.services import staff
    from cupx.services.staff import create_token, create_user

    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    seed_experiment(runtime, per_arm=6)
    tokens = {}
    for role in ("manager", "agent"):
        with runtime.uow() as uow:
            create_user(uow, f"{role}-x", "correct horse battery staple", role)
        with runtime.uow() as uow:
            tokens[role] = create_token(uow, f"{role}-x", name="t")
    with TestClient(create_app(runtime)) as client:
        page = client.get("/dashboard/experiments/exp-1", headers={"Authorization": f"Bearer {tokens['manager']}"})
        assert page.status_code == 200 and "gentle" in page.text and "Recommendation" in page.text
        listing = client.get("/dashboard/experiments", headers={"Authorization": f"Bearer {tokens['manager']}"})
        assert listing.status_code == 200 and "exp-1" in listing.text
        denied = client.get("/dashboard/experiments", headers={"Authorization": f"Bearer {tokens['agent']}"})
        assert denied.status_code == 403

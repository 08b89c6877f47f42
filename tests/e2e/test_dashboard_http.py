"""The dashboard over HTTP: permission, filters, CSV export equal to the KPI function's output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cupx.bootstrap import Runtime
from cupx.domain.staff import Role
from cupx.services.kpis import KpiFilters, kpis, kpis_csv
from cupx.sim.scenario import simulate


@pytest.fixture
def book(runtime: Runtime, tmp_path: Path) -> Runtime:
    simulate(runtime, 150, 3, seed=5, start=date(2026, 9, 1), folder=tmp_path / "portfolio")
    return runtime


def test_dashboard_filters_csv_and_permission(book: Runtime, client_for: Callable[..., TestClient]) -> None:
    manager = client_for(Role.MANAGER)
    page = manager.get("/dashboard")
    assert page.status_code == 200 and "Collections dashboard" in page.text
    assert "<script" not in page.text.split("<main", 1)[1]  # charts are static SVG, no script from anywhere
    with book.uow() as uow:
        full = kpis(uow)
        seg = full["segments"][0]
        narrowed = kpis(uow, KpiFilters(date_from=date(2026, 9, 2), segment=seg))
    assert f'data-kpi="accounts" data-value="{full["accounts"]}"' in page.text
    filtered = manager.get("/dashboard", params={"date_from": "2026-09-02", "segment": seg})
    assert f'data-kpi="accounts" data-value="{narrowed["accounts"]}"' in filtered.text
    csv = manager.get("/dashboard.csv", params={"date_from": "2026-09-02", "segment": seg})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.text == kpis_csv(narrowed)
    assert manager.get("/dashboard", params={"date_from": "not-a-date"}).status_code == 422
    assert client_for(Role.AGENT).get("/dashboard").status_code == 403

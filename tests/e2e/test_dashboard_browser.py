"""The KPI dashboard in real Chromium: log in, open /dashboard, and check every number on the page
equals what `cupx report kpis --json` prints for the same database; save a screenshot."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from cupx.bootstrap import Runtime
from cupx.entrypoints.api import create_app
from cupx.entrypoints.cli import app as cli_app
from cupx.services.staff import create_user
from cupx.sim.scenario import simulate

pytestmark = pytest.mark.browser
PASSWORD = "dashboard test password"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def served(runtime: Runtime, tmp_path: Path) -> Iterator[str]:
    simulate(runtime, 300, 4, seed=3, start=date(2026, 9, 1), folder=tmp_path / "portfolio")
    with runtime.uow() as uow:
        create_user(uow, "kpi-manager", PASSWORD, "manager")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the server thread to listen, not for time to pass
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def _lookup(k: dict[str, Any], path: str) -> Any:
    node: Any = k
    for part in path.split("."):
        if isinstance(node, list):
            node = next(item for item in node if item.get("arm") == part)
        else:
            node = node[part]
    return node


def test_dashboard_numbers_equal_report_kpis_json(served: str, runtime: Runtime, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["report", "kpis", "--json"],
                                env={"CUPX_DATABASE_URL": runtime.settings.database_url})
    assert result.exit_code == 0, result.output
    expected = json.loads(result.output.strip().splitlines()[-1])
    assert expected["accounts"] > 0
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium must be installed (.ci/run installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{served}/dashboard")
        assert "/login" in page.url
        page.fill("#username", "kpi-manager")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{served}/dashboard")
        shown = page.eval_on_selector_all("[data-kpi]", "els => els.map(e => [e.dataset.kpi, e.dataset.value, "
                                                        "e.textContent.trim()])")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        svg_count = page.locator("figure[data-chart] svg").count()
        external = page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)"
                                 ".filter(n => !n.startsWith(location.origin))")
        browser.close()
    assert len(shown) > 20 and svg_count == 5 and external == []
    for key, value, text in shown:
        want = _lookup(expected, key)
        assert float(value) == pytest.approx(float(want), abs=0), key
        if key.endswith("_rate") and not key.startswith("roll_rates"):
            assert text == f"{float(want) * 100:.1f}%", key
    collected = _lookup(expected, "currencies.USD.collected_minor")
    assert ["currencies.USD.collected_minor", str(collected), f"{collected / 100:,.2f}"] in [list(s) for s in shown]

"""The communications commands through the real CLI: template preview shows exactly what would be
sent, a template without required content is refused naming it, dispatch sends what is due."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_dispatch_factories import NOW, enqueue, make_customer, make_debt
from typer.testing import CliRunner

from cupx.bootstrap import Runtime
from cupx.entrypoints.cli import app


@pytest.fixture
def cli(runtime: Runtime, db_url: str, tmp_path: Path) -> tuple[CliRunner, dict[str, str]]:
    return CliRunner(), {"CUPX_DATABASE_URL": db_url, "CUPX_DATA_DIR": str(tmp_path / "var"),
                         "CUPX_ENVIRONMENT": "test"}


def test_preview_shows_recipient_headers_and_required_content(runtime: Runtime, cli: tuple[CliRunner, dict]) -> None:
    runner, env = cli
    cid = make_customer(runtime, language="es")
    did = make_debt(runtime, cid, 98_765)
    at = ["--at", NOW.isoformat()]
    result = runner.invoke(app, ["template", "preview", "reminder", "--debt", str(did), "--channel", "email", *at],
                           env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "to: pat" in out and "List-Unsubscribe: <http" in out and "language: es" in out
    assert "$987.65" in out and "cobrador de deudas" in out and "/unsubscribe/" in out
    as_json = runner.invoke(app, ["template", "preview", "reminder", "--debt", str(did), "--channel", "sms",
                                  "--lang", "en", "--json", *at], env=env)
    data = json.loads(as_json.output)
    assert data["would_send"] and data["to"].startswith("+1212555") and "Reply STOP" in data["body"]
    late = runner.invoke(app, ["template", "preview", "reminder", "--debt", str(did), "--channel", "sms",
                               "--at", "2026-06-03T02:30:00+00:00"], env=env)  # 22:30 in New York
    assert late.exit_code == 1 and "would NOT send" in late.output and "REGF_INCONVENIENT_TIME" in late.output


def test_saving_a_template_without_the_opt_out_is_refused(runtime: Runtime, cli: tuple[CliRunner, dict],
                                                           tmp_path: Path) -> None:
    runner, env = cli
    bad = tmp_path / "nudge.sms.en.j2"
    bad.write_text("---\npurpose: collection\n---\nHi {{ customer.first_name }} {{ disclosure }}\n")
    result = runner.invoke(app, ["template", "save", str(bad)], env=env)
    assert result.exit_code == 2 and "opt_out_instruction" in result.output
    good = tmp_path / "nudge2.sms.en.j2"
    good.write_text("---\npurpose: collection\n---\nHi {{ customer.first_name }} {{ disclosure }} {{ opt_out }}\n")
    saved = runner.invoke(app, ["template", "save", str(good), "--id", "nudge"], env=env)
    assert saved.exit_code == 0 and "nudge sms en v1" in saved.output
    again = runner.invoke(app, ["template", "save", str(good), "--id", "nudge"], env=env)
    assert "v2" in again.output


def test_dispatch_command_sends_what_is_due_to_the_file_sinks(runtime: Runtime, cli: tuple[CliRunner, dict],
                                                              tmp_path: Path) -> None:
    runner, env = cli
    cid = make_customer(runtime)
    enqueue(runtime, cid, [make_debt(runtime, cid)], "email")
    result = runner.invoke(app, ["dispatch", "--rate", "email=1000"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["claimed"] == 1
    assert report["sent"] + report["rescheduled"] == 1  # the real clock may be outside the window

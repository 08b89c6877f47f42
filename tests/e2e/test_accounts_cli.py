"""`cupx user create`, `cupx token create` and `cupx show customer|debt` through Typer's CliRunner, on
the test database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cupx.bootstrap import Runtime
from cupx.entrypoints.cli import app as cli

runner = CliRunner()


def run(runtime: Runtime, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(cli, [*args, "--database-url", runtime.settings.database_url], input=stdin,
                         env={"COLUMNS": "200"})  # wide enough that Rich does not wrap table cells


def test_user_create_from_stdin_then_token_authenticates(runtime: Runtime, anon_client: TestClient) -> None:
    made = run(runtime, "user", "create", "--username", "grace", "--role", "auditor", "--password-stdin",
               stdin="a long enough password\n")
    assert made.exit_code == 0, made.output
    assert "grace" in made.output and "auditor" in made.output
    token = run(runtime, "token", "create", "grace")
    assert token.exit_code == 0, token.output
    text = token.stdout.strip().splitlines()[0]
    assert text.startswith("cupx_")
    resp = anon_client.get("/api/v1/customers", headers={"Authorization": f"Bearer {text}"})
    assert resp.status_code == 200
    # the token is stored hashed only
    with runtime.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM api_tokens").scalar_one()
    assert text not in stored


def test_user_create_prompts_twice_for_the_password(runtime: Runtime) -> None:
    made = run(runtime, "user", "create", "--username", "hopper", "--role", "agent",
               stdin="a long enough password\na long enough password\n")
    assert made.exit_code == 0, made.output
    assert "a long enough password" not in made.output  # the prompt hides what is typed


def test_user_create_refuses_bad_input_naming_the_field(runtime: Runtime) -> None:
    short = run(runtime, "user", "create", "--username", "ada", "--role", "agent", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "password" in short.output
    bad_role = run(runtime, "user", "create", "--username", "ada", "--role", "wizard", "--password-stdin",
                   stdin="long enough pass\n")
    assert bad_role.exit_code == 2
    run(runtime, "user", "create", "--username", "ada", "--role", "agent", "--password-stdin", stdin="long enough x\n")
    again = run(runtime, "user", "create", "--username", "ada", "--role", "agent", "--password-stdin",
                stdin="long enough x\n")
    assert again.exit_code == 2 and "conflict" in again.output


def test_token_for_unknown_user_fails(runtime: Runtime) -> None:
    result = run(runtime, "token", "create", "nobody")
    assert result.exit_code == 2 and "not_found" in result.output


def test_show_debt_tables_and_json(runtime: Runtime, make_debt: Callable[..., dict[str, Any]]) -> None:
    debt = make_debt(charges=[("charge", 100_000, "2026-01-01"), ("fee", 2_500, "2026-01-05"),
                              ("payment", 10_000, "2026-01-20")])
    shown = run(runtime, "show", "debt", debt["debt_external_id"], "--as-of", "2026-03-03")
    assert shown.exit_code == 0, shown.output
    for text in ("principal", "$925.00", "$0.00", "30 days past due", "delinquent", "Ledger", "payment"):
        assert text in shown.output, text
    as_json = run(runtime, "show", "debt", str(debt["debt_id"]), "--as-of", "2026-03-03", "--json")
    body = json.loads(as_json.stdout)
    assert body["breakdown"] == {"principal": 92_500, "interest": 0, "fees": 0, "credit": 0}
    assert body["days_past_due"] == 30 and body["status"] == "delinquent"
    assert [e["kind"] for e in body["ledger"]] == ["charge", "fee", "payment"]


def test_show_customer_decrypts_contacts(runtime: Runtime, make_debt: Callable[..., dict[str, Any]]) -> None:
    debt = make_debt(name="Grace Hopper", phone="+13125550142", email="grace@example.com")
    shown = run(runtime, "show", "customer", debt["customer_external_id"], "--as-of", "2026-01-31")
    assert shown.exit_code == 0, shown.output
    for text in ("Grace Hopper", "+13125550142", "grace@example.com", debt["debt_external_id"], "$1,000.00"):
        assert text in shown.output, text
    body = json.loads(run(runtime, "show", "customer", str(debt["customer_id"]), "--json").stdout)
    assert body["name"] == "Grace Hopper" and body["debts"][0]["id"] == debt["debt_id"]


def test_show_unknown_ids_fail_cleanly(runtime: Runtime) -> None:
    for kind in ("debt", "customer"):
        result = run(runtime, "show", kind, "missing")
        assert result.exit_code == 2 and "not_found" in result.output
    bad_date = run(runtime, "show", "debt", "1", "--as-of", "yesterday")
    assert bad_date.exit_code == 2


def test_token_list_revoke_and_user_disable(runtime: Runtime, anon_client: TestClient) -> None:
    made = run(runtime, "user", "create", "--username", "lin", "--role", "manager", "--password-stdin",
               stdin="long enough x\n")
    assert made.exit_code == 0
    token = run(runtime, "token", "create", "lin", "--name", "ci").stdout.strip().splitlines()[0]
    listed = run(runtime, "token", "list", "lin")
    assert listed.exit_code == 0 and "ci" in listed.output and "active" in listed.output
    assert token not in listed.output
    token_id = listed.output.split("\t", 1)[0]
    assert run(runtime, "token", "revoke", token_id).exit_code == 0
    assert "revoked" in run(runtime, "token", "list", "lin").output
    assert anon_client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    fresh = run(runtime, "token", "create", "lin").stdout.strip().splitlines()[0]
    assert run(runtime, "user", "disable", "lin").exit_code == 0
    assert anon_client.get("/api/v1/customers", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401
    assert run(runtime, "user", "enable", "lin").exit_code == 0
    assert anon_client.get("/api/v1/customers", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_serve_runs_uvicorn_on_the_app(runtime: Runtime, monkeypatch: Any) -> None:
    import uvicorn
    from fastapi import FastAPI

    calls: list[tuple[Any, str, int]] = []
    configs: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: (calls.append((app, host, port)),
                                                                      configs.append(kw.get("log_config"))))
    result = run(runtime, "serve", "--host", "0.0.0.0", "--port", "8123")
    assert result.exit_code == 0, result.output
    (app, host, port), = calls
    assert isinstance(app, FastAPI) and (host, port) == ("0.0.0.0", 8123)
    assert app.state.runtime.settings.database_url == runtime.settings.database_url
    assert configs[0]["handlers"]["access"]["filters"] == ["strip_query"]


def test_access_log_lines_lose_their_query_string() -> None:
    import logging

    from cupx.entrypoints.cli.staff import StripQueryString

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/v1/customers?phone=%2B13125550199", "1.1", 200), None)
    assert StripQueryString().filter(record)
    assert "phone" not in record.getMessage() and "/api/v1/customers" in record.getMessage()

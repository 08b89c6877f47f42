"""The payments CLI end to end on the test database: post, reverse, promise, plan, settlement, hold."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from payments_factories import make_customer, make_debt

from cupx.bootstrap import Runtime
from cupx.entrypoints.cli import app

runner = CliRunner()


def _run(runtime: Runtime, *args: str) -> tuple[int, object]:
    result = runner.invoke(app, [*args, "--database-url", runtime.settings.database_url])
    out = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(out[-1]) if result.exit_code == 0 and out else result.output


def test_cli_round_trip(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    did = make_debt(runtime, cid, 50_000)
    code, paid = _run(runtime, "payment", "post", "--amount", "25.00", "--debt-id", str(did), "--key", "cli-1")
    assert code == 0 and paid["allocation"] == {str(did): 2_500}  # type: ignore[index]
    code, again = _run(runtime, "payment", "post", "--amount", "25.00", "--debt-id", str(did), "--key", "cli-1")
    assert code == 0 and again["replayed"] is True  # type: ignore[index]
    code, message = _run(runtime, "payment", "post", "--amount", "25.001", "--debt-id", str(did))
    assert code == 2 and "amount" in str(message)
    code, reversed_ = _run(runtime, "payment", "reverse", str(paid["payment_id"]), "--reason", "NSF")  # type: ignore[index]
    assert code == 0 and reversed_["status"] == "reversed"  # type: ignore[index]
    today = datetime.now(UTC).date()
    soon = (today + timedelta(days=5)).isoformat()
    code, promise = _run(runtime, "promise", "add", "--customer-id", str(cid), "--amount", "10", "--on", soon)
    assert code == 0 and promise["status"] == "pending"  # type: ignore[index]
    code, counts = _run(runtime, "promises", "resolve", "--as-of", (today + timedelta(days=9)).isoformat())
    assert code == 0 and counts == {"pending": 1, "kept": 0, "broken": 1}
    code, plan = _run(runtime, "plan", "create", "--customer-id", str(cid), "--instalments", "5",
                      "--first-due-on", soon)
    assert code == 0 and sum(i[2] for i in plan["instalments"]) == 50_000  # type: ignore[index]
    code, shown = _run(runtime, "plan", "show", str(plan["id"]))  # type: ignore[index]
    assert code == 0 and shown["status"] == "active"  # type: ignore[index]
    code, settlement = _run(runtime, "settlement", "request", "--debt-id", str(did), "--amount", "350",
                            "--first-due-on", soon)
    assert code == 0 and settlement["status"] == "pending_approval"  # type: ignore[index]
    code, approved = _run(runtime, "settlement", "approve", str(settlement["id"]), "--role", "manager")  # type: ignore[index]
    assert code == 0 and approved["status"] == "active"  # type: ignore[index]
    code, hold = _run(runtime, "hardship", "breathing-space", "--customer-id", str(cid), "--reason", "illness")
    assert code == 0 and date.fromisoformat(hold["ends_on"]) == today + timedelta(days=59)  # type: ignore[index]

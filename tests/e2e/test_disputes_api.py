"""Disputes over HTTP: an agent records, verifies and resolves; bad input names the field; other roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cupx.adapters.tables.core import contact_events, debts
from cupx.bootstrap import Runtime
from cupx.domain.staff import Role


def _status(runtime: Runtime, debt_id: int) -> str:
    with runtime.engine.connect() as conn:
        return str(conn.execute(select(debts.c.status).where(debts.c.id == debt_id)).scalar())


def _events(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(contact_events)).scalar() or 0)


DISPUTE = {"received_at": "2026-03-02T15:00:00Z", "written": True, "medium": "letter", "grounds": "amount wrong",
           "submitted_at": "2026-02-27T10:00:00-05:00"}


def test_agent_records_verifies_and_resolves(client_for: Callable[..., TestClient],
                                             make_debt: Callable[..., dict[str, Any]], runtime: Runtime) -> None:
    agent = client_for(Role.AGENT)
    debt_id = make_debt()["debt_id"]

    r = agent.post(f"/api/v1/debts/{debt_id}/disputes", json=DISPUTE)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "disputed" and _status(runtime, debt_id) == "disputed"
    again = agent.post(f"/api/v1/debts/{debt_id}/disputes", json=DISPUTE)
    assert again.status_code == 409, again.text

    early = agent.post(f"/api/v1/debts/{debt_id}/disputes/resolve", json={"upheld": False,
                                                                         "at": "2026-03-03T10:00:00Z"})
    assert early.status_code == 409 and "upheld" in early.text
    v = agent.post(f"/api/v1/debts/{debt_id}/disputes/verification", json={"sent_at": "2026-03-05T10:00:00Z"})
    assert v.status_code == 200, v.text
    done = agent.post(f"/api/v1/debts/{debt_id}/disputes/resolve", json={"upheld": False,
                                                                        "at": "2026-03-06T10:00:00Z"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "delinquent" and _status(runtime, debt_id) == "delinquent"
    assert _events(runtime) == 2


def test_bad_input_names_the_field_and_writes_nothing(client_for: Callable[..., TestClient],
                                                      make_debt: Callable[..., dict[str, Any]],
                                                      runtime: Runtime) -> None:
    agent = client_for(Role.AGENT)
    debt_id = make_debt()["debt_id"]
    naive = agent.post(f"/api/v1/debts/{debt_id}/disputes", json={**DISPUTE, "received_at": "2026-03-02T15:00:00"})
    assert naive.status_code == 422 and "received_at" in naive.text
    oral = agent.post(f"/api/v1/debts/{debt_id}/disputes", json={**DISPUTE, "medium": "telephone_call"})
    assert oral.status_code == 422 and "medium" in oral.text
    missing = agent.post("/api/v1/debts/987654321/disputes", json=DISPUTE)
    assert missing.status_code == 404, missing.text
    assert _events(runtime) == 0 and _status(runtime, debt_id) == "delinquent"


def test_an_auditor_cannot_record_a_dispute(client_for: Callable[..., TestClient],
                                          make_debt: Callable[..., dict[str, Any]], runtime: Runtime) -> None:
    debt_id = make_debt()["debt_id"]
    r = client_for(Role.AUDITOR).post(f"/api/v1/debts/{debt_id}/disputes", json=DISPUTE)
    assert r.status_code == 403
    assert _status(runtime, debt_id) == "delinquent"

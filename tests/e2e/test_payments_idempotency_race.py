"""Concurrent retries of one payment with one `Idempotency-Key` post it once and all get its answer
(the replay check shares the posting's transaction; the unique key decides the race)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cupx.adapters.tables.payments import payments
from cupx.bootstrap import Runtime


def test_concurrent_retries_of_one_payment_post_it_once(app: FastAPI, runtime: Runtime,
                                                       client_for: Callable[..., TestClient],
                                                       make_debt: Callable[..., dict[str, Any]]) -> None:
    agent = client_for("agent")
    debt = make_debt()
    body = {"debt_id": debt["debt_id"], "amount_minor": 2_500, "currency": "USD",
            "received_at": "2026-03-01T12:00:00+00:00", "method": "card", "reference": "race"}
    headers = {"Authorization": agent.headers["Authorization"], "Idempotency-Key": "pay-race-1"}

    def post(_: int) -> Any:
        with TestClient(app) as client:
            return client.post("/api/v1/payments", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(post, range(6)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["payment_id"] for r in responses}) == 1
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar() == 1
    other = agent.post("/api/v1/payments", json={**body, "amount_minor": 100}, headers=headers)
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"

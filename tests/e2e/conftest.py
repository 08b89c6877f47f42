"""End-to-end fixtures: the real app over HTTP (FastAPI TestClient) on the `runtime` fixture's database,
so every e2e test runs on SQLite and, when CUPX_TEST_POSTGRES_URL is set, on PostgreSQL.

- `app`: `create_app(runtime)`.
- `anon_client`: a client with no credentials.
- `client_for(role)`: a client authenticated by a bearer token of a fresh user with that role; the
  client's `.username` and `.user_id` say who it is. Pass `session=True` to get a browser-like client
  signed in through POST /login instead (cookie + `.csrf` token for unsafe requests).
- `make_user(role)`: creates a user and returns (username, password, token).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cupx.bootstrap import Runtime
from cupx.domain.staff import Role
from cupx.entrypoints.api import create_app
from cupx.services.staff import create_token, create_user

PASSWORD = "correct horse battery staple"  # a test password
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at production cost takes ~64 MiB and tens of ms per hash; tests need the flow, not the cost."""
    from argon2 import PasswordHasher

    from cupx.services import staff

    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def anon_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def make_user(runtime: Runtime) -> Callable[..., tuple[str, str, str]]:
    def make(role: Role | str, username: str | None = None, password: str = PASSWORD) -> tuple[str, str, str]:
        name = username or f"{Role(role).value}{next(_serial)}"
        with runtime.uow() as uow:
            create_user(uow, name, password, role)
        with runtime.uow() as uow:
            token = create_token(uow, name, name="test")
        return name, password, token

    return make


@pytest.fixture
def client_for(app: FastAPI, make_user: Callable[..., tuple[str, str, str]]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def factory(role: Role | str, *, session: bool = False, **kwargs: Any) -> TestClient:
        username, password, token = make_user(role)
        if session:
            client = TestClient(app, **kwargs)
            page = client.get("/login")
            login_csrf = page.cookies.get("cupx_login_csrf") or client.cookies.get("cupx_login_csrf")
            resp = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": login_csrf or "", "next": "/login"},
                               follow_redirects=False)
            assert resp.status_code == 303, resp.text
            client.csrf = resp.headers.get("X-CSRF-Token", "")  # type: ignore[attr-defined]
        else:
            client = TestClient(app, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        client.username = username  # type: ignore[attr-defined]
        client.token = token  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def make_debt(runtime: Runtime) -> Callable[..., dict[str, Any]]:
    """Insert a customer (with a phone and an email) and a debt with one charge; return their ids.

    Defaults: USD, 1,000.00 charged on 2026-01-01, one instalment of the whole amount due 2026-02-01.
    Pass `customer_id` to add a debt to an existing customer, `charges` for several (kind, minor, date).
    """
    from datetime import UTC, date, datetime

    from sqlalchemy import insert

    from cupx.adapters.tables.core import customer_emails, customer_phones, customers, debts, ledger_entries

    def make(*, currency: str = "USD", amount_minor: int = 100_000, customer_id: int | None = None,
             phone: str = "+13125550199", email: str | None = None, name: str = "Ada Example",
             due: list[tuple[str, int]] | None = None, charges: list[tuple[str, int, str]] | None = None,
             status: str = "delinquent") -> dict[str, Any]:
        n = next(_serial)
        now = datetime(2026, 1, 1, 12, tzinfo=UTC)
        cipher = runtime.cipher
        customer_external_id = None
        with runtime.engine.begin() as conn:
            if customer_id is None:
                customer_external_id = f"C-{n}"
                customer_id = int(conn.execute(insert(customers).values(
                    external_id=f"C-{n}", name_enc=cipher.encrypt(name), row_hash="x", created_at=now,
                    updated_at=now)).inserted_primary_key[0])
                conn.execute(insert(customer_phones).values(
                    customer_id=customer_id, number_enc=cipher.encrypt(phone), number_hash=cipher.lookup_hash(phone),
                    area_code=phone[2:5], type="mobile"))
                mail = email or f"person{n}@example.com"
                conn.execute(insert(customer_emails).values(
                    customer_id=customer_id, address_enc=cipher.encrypt(mail), address_hash=cipher.lookup_hash(mail)))
            schedule = due if due is not None else [("2026-02-01", amount_minor)]
            debt_id = int(conn.execute(insert(debts).values(
                external_id=f"D-{n}", customer_id=customer_id, creditor="Acme Bank", product="credit_card",
                currency=currency, original_minor=amount_minor, due_schedule=json.dumps(schedule), status=status,
                row_hash="x", created_at=now, updated_at=now)).inserted_primary_key[0])
            entry_ids = []
            for kind, minor, on in charges if charges is not None else [("charge", amount_minor, "2026-01-01")]:
                entry_ids.append(int(conn.execute(insert(ledger_entries).values(
                    debt_id=debt_id, kind=kind, amount_minor=minor, currency=currency,
                    effective_date=date.fromisoformat(on), posted_at=now, source="import")).inserted_primary_key[0]))
        return {"customer_id": customer_id, "customer_external_id": customer_external_id,
                "debt_id": debt_id, "debt_external_id": f"D-{n}", "entry_ids": entry_ids}

    return make

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

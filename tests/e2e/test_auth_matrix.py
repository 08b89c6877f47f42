"""The auth matrix: EVERY route of the app (including routes other areas add later) x every role.

For each route the required permission is read from its declared dependency: `require(permission)`
attaches `.permission` to the callable it returns, and the walker finds it anywhere in the route's
dependency tree. Then, with one user per role and one request per route x role (dummy path parameters,
a JSON body that fails validation after authentication so handlers do not run where they take one):

- a role holding the permission is allowed: the answer is neither 401 nor 403 (nor a server error);
- a role lacking it is refused with 403 `permission_denied`;
- without credentials every route answers 401 `authentication_failed`;
- a route that is neither on `security.PUBLIC_ROUTES` nor declares a permission fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from cupx.domain.staff import Permission, Role, role_has
from cupx.entrypoints.api.security import is_public

_NO_PERMISSION = object()
_PARAM = re.compile(r"{[^}]+}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the route's template, e.g. /api/v1/debts/{debt_id}
    permission: Any  # a Permission, None (any staff), or _NO_PERMISSION

    @property
    def url(self) -> str:
        return _PARAM.sub("0", self.path)


def _declared_permission(dependant: Any) -> Any:
    stack = list(dependant.dependencies) if dependant is not None else []
    while stack:
        dep = stack.pop()
        permission = getattr(dep.call, "permission", _NO_PERMISSION)
        if permission is not _NO_PERMISSION:
            return permission
        stack.extend(dep.dependencies)
    return _NO_PERMISSION


def _flat_routes(routes: list[BaseRoute]) -> list[Any]:
    """Routes with their effective path and dependencies; FastAPI >= 0.16x keeps included routers nested."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI flattens included routers into app.routes
        return list(routes)
    return list(iter_route_contexts(routes))


def walk(app: FastAPI) -> tuple[list[Endpoint], list[str]]:
    """The protected endpoints of an app, and the routes that are neither public nor protected."""
    endpoints: list[Endpoint] = []
    undeclared: list[str] = []

    def visit(routes: list[BaseRoute], prefix: str) -> None:
        for route in _flat_routes(routes):
            original = getattr(route, "original_route", route)
            path = prefix + (getattr(route, "path", None) or "")
            if isinstance(original, Mount):
                if not is_public(path + "/x"):
                    visit(list(original.routes), path)
                continue
            if is_public(path):
                continue
            if isinstance(original, APIRoute):
                permission = _declared_permission(getattr(route, "dependant", None))
                if permission is _NO_PERMISSION:
                    undeclared.append(f"{sorted(route.methods or ())} {path}")
                    continue
                endpoints.extend(Endpoint(method, path, permission) for method in sorted(route.methods or ()))
            elif isinstance(original, Route | WebSocketRoute):
                undeclared.append(f"{path} ({type(original).__name__} without a permission)")

    visit(list(app.routes), "")
    return endpoints, undeclared


def _call(client: TestClient, endpoint: Endpoint) -> Any:
    # A JSON array satisfies no body model, so where a route takes a body it stops at validation (422)
    # after the permission check has run; routes without a body ignore it.
    return client.request(endpoint.method, endpoint.url, json=[])


def _allowed(permission: Any, role: Role) -> bool:
    return permission is None or role_has(role, permission)


def test_every_route_declares_a_permission_or_is_public(app: FastAPI) -> None:
    endpoints, undeclared = walk(app)
    assert not undeclared, f"routes without require(permission) and not in PUBLIC_ROUTES: {undeclared}"
    assert endpoints, "the walker found no protected route at all"


def test_unauthenticated_requests_are_401(app: FastAPI) -> None:
    endpoints, _ = walk(app)
    client = TestClient(app, raise_server_exceptions=False)
    wrong = []
    for endpoint in endpoints:
        resp = _call(client, endpoint)
        if resp.status_code != 401 or resp.json()["error"]["code"] != "authentication_failed":
            wrong.append(f"{endpoint.method} {endpoint.path}: {resp.status_code}")
    assert not wrong, f"expected 401 without credentials: {wrong}"


def test_every_route_times_every_role(app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    endpoints, _ = walk(app)
    clients = {role: client_for(role, raise_server_exceptions=False) for role in Role}
    wrong = []
    for endpoint in endpoints:
        for role, client in clients.items():
            resp = _call(client, endpoint)
            if _allowed(endpoint.permission, role):
                if resp.status_code in (401, 403) or resp.status_code >= 500:
                    wrong.append(f"{role} allowed {endpoint.method} {endpoint.path} got {resp.status_code}")
            elif resp.status_code != 403 or resp.json()["error"]["code"] != "permission_denied":
                wrong.append(f"{role} refused {endpoint.method} {endpoint.path} got {resp.status_code}")
    assert not wrong, "\n".join(wrong)


def test_walker_catches_an_undeclared_route(app: FastAPI) -> None:
    @app.get("/api/v1/_forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    _, undeclared = walk(app)
    assert any("/api/v1/_forgotten" in u for u in undeclared)


def test_public_routes_answer_anonymously(anon_client: TestClient) -> None:
    assert anon_client.get("/health").status_code == 200
    assert anon_client.get("/openapi.json").status_code == 200
    assert anon_client.get("/login").status_code == 200


def test_every_permission_is_held_by_admin_and_some_role_lacks_each_but_users_admin() -> None:
    # Guards the matrix itself: if every role held everything, the refused branch would never run.
    for permission in Permission:
        assert role_has(Role.ADMIN, permission)
    assert any(not role_has(role, Permission.LEDGER_WRITE) for role in Role)

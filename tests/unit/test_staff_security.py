"""The security plumbing without a database: the public allow-list, the permission carried by
`require`, and where a login may redirect to."""

from __future__ import annotations

import pytest

from cupx.domain.staff import Permission
from cupx.entrypoints.api.security import PUBLIC_ROUTES, is_public, require
from cupx.entrypoints.web.login import _safe_next


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/docs", "/login", "/logout", "/static/cupx.css",
                                  "/webhooks/sms/inbound", "/api/v1/webhooks/payments", "/portal/pay"])
def test_public_paths(path: str) -> None:
    assert is_public(path)


@pytest.mark.parametrize("path", ["/api/v1/ledger", "/api/v1/debts/1", "/dashboard", "/healthz", "/login/admin",
                                  "/api/v1/webhooksx", "/portalx", "/"])
def test_protected_paths(path: str) -> None:
    assert not is_public(path)


def test_every_public_route_says_why() -> None:
    assert all(reason.strip() for _, reason in PUBLIC_ROUTES)


def test_require_carries_its_permission_and_is_one_callable_per_permission() -> None:
    dep = require(Permission.LEDGER_WRITE)
    assert dep.permission is Permission.LEDGER_WRITE  # type: ignore[attr-defined]
    assert require(Permission.LEDGER_WRITE) is dep
    assert require(None).permission is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("target", "expected"), [
    ("/dashboard?x=1", "/dashboard?x=1"), ("", "/login"), ("https://evil.example/", "/login"),
    ("//evil.example", "/login"), ("/\\evil.example", "/login"), ("dashboard", "/login"),
])
def test_login_redirects_stay_on_site(target: str, expected: str) -> None:
    assert _safe_next(target) == expected

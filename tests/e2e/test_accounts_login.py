"""Staff authentication over HTTP: bearer tokens, session cookies from the login page, CSRF, logout,
revoked tokens and disabled users."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from cupx.bootstrap import Runtime
from cupx.domain.staff import Permission, Role
from cupx.entrypoints.api.security import SESSION_COOKIE, Principal, require
from cupx.services.staff import StaffRepository, revoke_token, set_user_active


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    """The app plus two probe routes, so these tests do not depend on other areas' routes."""

    @app.get("/api/v1/_probe")
    def read_probe(p: Principal = Depends(require(Permission.USERS_ADMIN))) -> dict[str, str]:
        return {"username": p.username, "role": p.role}

    @app.post("/api/v1/_probe")
    def write_probe(p: Principal = Depends(require(Permission.DEBTS_READ))) -> dict[str, str]:
        return {"username": p.username}

    return app


def test_no_credentials_is_401_with_code(probe_app: FastAPI, anon_client: TestClient) -> None:
    resp = anon_client.get("/api/v1/_probe")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "authentication_failed"
    assert resp.headers["www-authenticate"] == "Bearer"


def test_bad_token_and_malformed_header_are_401(probe_app: FastAPI, anon_client: TestClient) -> None:
    assert anon_client.get("/api/v1/_probe", headers={"Authorization": "Bearer cupx_nope"}).status_code == 401
    resp = anon_client.get("/api/v1/_probe", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert resp.status_code == 401


def test_token_of_role_without_permission_is_403(probe_app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    resp = client_for(Role.AGENT).get("/api/v1/_probe")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"
    ok = client_for(Role.ADMIN).get("/api/v1/_probe")
    assert ok.status_code == 200 and ok.json()["role"] == "admin"


def test_revoked_token_and_disabled_user_are_refused(probe_app: FastAPI, runtime: Runtime,
                                                     client_for: Callable[..., TestClient]) -> None:
    admin = client_for(Role.ADMIN)
    assert admin.get("/api/v1/_probe").status_code == 200
    with runtime.uow() as uow:
        user = uow[StaffRepository].get_user_by_username(admin.username)  # type: ignore[attr-defined]
        assert user is not None
        token_id = uow[StaffRepository].list_tokens(user.id)[0].id
        revoke_token(uow, token_id)
    assert admin.get("/api/v1/_probe").status_code == 401

    other = client_for(Role.ADMIN)
    with runtime.uow() as uow:
        set_user_active(uow, other.username, False)  # type: ignore[attr-defined]
    assert other.get("/api/v1/_probe").status_code == 401


def test_session_cookie_login_and_csrf(probe_app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for(Role.AGENT, session=True)
    cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie and "agent" not in cookie  # signed user id only, no role or name in clear
    assert "Signed in" in browser.get("/login").text
    # a cookie-authenticated POST needs the CSRF token
    refused = browser.post("/api/v1/_probe")
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "X-CSRF-Token"
    assert browser.post("/api/v1/_probe", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert browser.post("/api/v1/_probe", headers={"X-CSRF-Token": browser.csrf}).status_code == 200  # type: ignore[attr-defined]
    assert browser.post("/api/v1/_probe", data={"csrf_token": browser.csrf}).status_code == 200  # type: ignore[attr-defined]


def test_forged_cookie_is_401(probe_app: FastAPI, anon_client: TestClient) -> None:
    anon_client.cookies.set(SESSION_COOKIE, "eyJ1aWQiOjF9.forged.sig")
    assert anon_client.get("/api/v1/_probe").status_code == 401


def test_login_page_and_wrong_password(anon_client: TestClient, make_user: Callable[..., tuple[str, str, str]]) -> None:
    username, _, _ = make_user(Role.AGENT)
    page = anon_client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    csrf = anon_client.cookies.get("cupx_login_csrf")
    resp = anon_client.post("/login", data={"username": username, "password": "wrong-password",
                                             "csrf_token": csrf, "next": "/"}, follow_redirects=False)
    assert resp.status_code == 401 and "Invalid username or password" in resp.text
    assert SESSION_COOKIE not in anon_client.cookies


def test_login_without_form_token_is_refused(anon_client: TestClient,
                                             make_user: Callable[..., tuple[str, str, str]]) -> None:
    username, password, _ = make_user(Role.AGENT)
    resp = anon_client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert resp.status_code == 403
    assert SESSION_COOKIE not in anon_client.cookies


def test_login_redirects_only_to_local_paths(anon_client: TestClient,
                                             make_user: Callable[..., tuple[str, str, str]]) -> None:
    username, password, _ = make_user(Role.AGENT)
    anon_client.get("/login")
    resp = anon_client.post("/login", data={"username": username, "password": password, "next": "//evil.example",
                                             "csrf_token": anon_client.cookies.get("cupx_login_csrf")},
                            follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"


def test_browser_page_without_session_redirects_to_login(probe_app: FastAPI, anon_client: TestClient) -> None:
    @probe_app.get("/desk-probe")
    def page(p: Principal = Depends(require(Permission.AGENT_DESK))) -> dict[str, str]:
        return {"ok": p.username}

    resp = anon_client.get("/desk-probe?x=1", headers={"Accept": "text/html"}, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fdesk-probe%3Fx%3D1"


def test_logout_clears_session(probe_app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for(Role.ADMIN, session=True)
    assert browser.get("/api/v1/_probe").status_code == 200
    resp = browser.post("/logout", data={"csrf_token": browser.csrf}, follow_redirects=False)  # type: ignore[attr-defined]
    assert resp.status_code == 303
    assert browser.get("/api/v1/_probe").status_code == 401


def test_static_css_is_served(anon_client: TestClient) -> None:
    assert anon_client.get("/static/cupx.css").status_code == 200


def test_repeated_wrong_passwords_throttle_the_username(anon_client: TestClient,
                                                        make_user: Callable[..., tuple[str, str, str]]) -> None:
    from cupx.entrypoints.web.login import MAX_FAILURES

    username, password, _ = make_user(Role.AGENT)

    def attempt(secret: str) -> int:
        anon_client.get("/login")
        return anon_client.post("/login", data={"username": username, "password": secret,
                                                "csrf_token": anon_client.cookies.get("cupx_login_csrf")},
                                follow_redirects=False).status_code

    assert [attempt("wrong-guess") for _ in range(MAX_FAILURES)] == [401] * MAX_FAILURES
    assert attempt(password) == 429  # even the right password, until the window passes
    assert SESSION_COOKIE not in anon_client.cookies


def test_cli_password_reset_changes_login(runtime: Runtime, anon_client: TestClient,
                                          make_user: Callable[..., tuple[str, str, str]]) -> None:
    from typer.testing import CliRunner

    from cupx.entrypoints.cli import app as cli

    username, old, _ = make_user(Role.AGENT)
    result = CliRunner().invoke(cli, ["user", "password", username, "--password-stdin", "--database-url",
                                      runtime.settings.database_url], input="a brand new password\n")
    assert result.exit_code == 0, result.output

    def login(secret: str) -> int:
        anon_client.get("/login")
        return anon_client.post("/login", data={"username": username, "password": secret,
                                                "csrf_token": anon_client.cookies.get("cupx_login_csrf")},
                                follow_redirects=False).status_code

    assert login(old) == 401
    assert login("a brand new password") == 303

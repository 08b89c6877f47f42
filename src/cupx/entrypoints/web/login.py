"""The staff login page: GET/POST /login and POST /logout, plus the web layer's setup (`install`):
the /static mount and the redirect of page requests without a session to /login.

Login is protected against cross-site request forgery by a double-submit token: GET /login sets a
short-lived `cupx_login_csrf` cookie and puts the same value in the form; POST /login refuses a form
whose token does not match. A successful login sets the signed session cookie (see
`cupx.entrypoints.api.security`) and redirects, with 303, to `next` when it is a local path.

Online password guessing is slowed by a per-username throttle: after `MAX_FAILURES` wrong passwords
within `FAILURE_WINDOW_S`, that username is refused (429) until the window has passed. The counts live in
the app instance (one process); behind several instances each keeps its own.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from cupx.bootstrap import Runtime
from cupx.domain.errors import AuthenticationFailed, CupxError
from cupx.entrypoints.api.security import (
    CSRF_HEADER,
    LoginRequired,
    clear_session,
    csrf_token,
    issue_session,
    read_session,
)
from cupx.entrypoints.web.templating import STATIC_DIR, render
from cupx.services.staff import authenticate_password, principal_for_user

__all__ = ["FAILURE_WINDOW_S", "LOGIN_CSRF_COOKIE", "MAX_FAILURES", "install", "router"]

LOGIN_CSRF_COOKIE = "cupx_login_csrf"
MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0
router = APIRouter(include_in_schema=False)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _safe_next(target: str | None) -> str:
    """Only a local absolute path: an open redirect to another site would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/login"
    return target


def _login_form(request: Request, next_url: str, error: str | None = None, status_code: int = 200,
                username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"login_csrf": token, "next": _safe_next(next_url),
                                              "error": error, "username": username}, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="lax", path="/login")
    return response


class _Throttle:
    """Recent failed logins per username (monotonic instants), pruned to the window on each look."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._failures.setdefault(key, deque())
        while seen and now - seen[0] > FAILURE_WINDOW_S:
            seen.popleft()
        return seen

    def blocked(self, username: str) -> bool:
        with self._lock:
            return len(self._recent(username.lower(), time.monotonic())) >= MAX_FAILURES

    def failed(self, username: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(username.lower(), now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.lower(), None)


def _throttle(request: Request) -> _Throttle:
    throttle: _Throttle = request.app.state.login_throttle
    return throttle


@router.get("/login")
def login_page(request: Request, next: str = "/login") -> Response:
    session = read_session(request)
    if session is not None:
        try:
            with _runtime(request).uow() as uow:
                request.state.principal = principal_for_user(uow, session["uid"])
            return render(request, "login.html", {"next": _safe_next(next)})
        except AuthenticationFailed:
            pass  # the user was disabled: show the form again
    return _login_form(request, next)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf_token_field: str = Form("", alias="csrf_token"), next: str = Form("/login")) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token_field):
        return _login_form(request, next, "Your sign-in form expired; please try again.", 403, username)
    throttle = _throttle(request)
    if throttle.blocked(username):
        return _login_form(request, next, "Too many failed attempts; try again in a few minutes.", 429, username)
    runtime = _runtime(request)
    try:
        with runtime.uow() as uow:
            principal = authenticate_password(uow, username, password)
    except CupxError:
        throttle.failed(username)
        return _login_form(request, next, "Invalid username or password.", 401, username)
    throttle.succeeded(username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    csrf = issue_session(response, runtime, principal)
    response.headers[CSRF_HEADER] = csrf  # lets scripted clients send it back on unsafe requests
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    expected = csrf_token(request)
    if expected:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else ""
        if not hmac.compare_digest(sent, expected):
            # A forged cross-site logout is refused; the session stays.
            return RedirectResponse("/login", status_code=303)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


def install(app: FastAPI) -> None:
    """Mount /static, keep the login throttle, and send browsers without a session to the login page."""
    app.state.login_throttle = _Throttle()
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.exception_handler(LoginRequired)
    async def _to_login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(str(exc.details.get("login", "/login")), status_code=303)

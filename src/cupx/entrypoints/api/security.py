"""Who is calling, and may they: bearer API tokens and session cookies, checked against role permissions.

Every route declares its permission with `Depends(require(Permission.X))`; the dependency returns the
`Principal` and also leaves it on `request.state.principal` for templates. The permission is attached
to the dependency callable (`dependency.permission`), which is how the auth-matrix test finds what each
route needs. `require(None)` admits any authenticated staff user.

Credentials, in order: an `Authorization: Bearer <token>` header (API clients; the token is looked up by
its SHA-256 hash, and the answer kept in the app's `TokenCache` for `TOKEN_CACHE_TTL_S` seconds, so a
token revoked by another process still works for at most that long; one revoked in this process stops at
once), else the signed session cookie set by the login page (browsers). Missing or bad credentials ->
`AuthenticationFailed` (401, code `authentication_failed`); a browser asking for a page without a session
is redirected to /login instead. A role without the permission -> `PermissionDenied` (403, code
`permission_denied`).

Session cookies are signed (itsdangerous, `settings.secret_key`), HttpOnly and SameSite=Lax, expire after
`settings.session_max_age_s`, and carry only the user id and a CSRF token; the user is re-read on every
request, so disabling a user ends their sessions. A cookie-authenticated unsafe request (POST, PUT,
PATCH, DELETE) must echo the session's CSRF token in an `X-CSRF-Token` header or a `csrf_token` form
field; bearer requests need not (a browser never adds that header by itself).

`PUBLIC_ROUTES` lists the only routes that need no staff credentials, each with the reason; the matrix
test refuses any other route that does not declare a permission. Extend it with a careful, reviewed edit.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from cupx.bootstrap import Runtime
from cupx.domain.errors import AuthenticationFailed, PermissionDenied
from cupx.domain.staff import Permission, role_has
from cupx.services.staff import (
    Principal,
    TokenCache,
    authenticate_token,
    credentials_epoch,
    hash_token,
    principal_for_user,
)

__all__ = [
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "PUBLIC_ROUTES",
    "SESSION_COOKIE",
    "LoginRequired",
    "Principal",
    "clear_session",
    "csrf_token",
    "is_public",
    "issue_session",
    "read_session",
    "require",
    "token_cache",
]

SESSION_COOKIE = "cupx_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Routes reachable without staff credentials: (regular expression on the path, why it is public).
# Everything else must declare a permission with `require(...)`; tests/e2e/test_auth_matrix.py enforces it.
PUBLIC_ROUTES: tuple[tuple[str, str], ...] = (
    (r"^/health$", "liveness probe for load balancers"),
    (r"^/openapi\.json$", "the API description is public"),
    (r"^/docs(/.*)?$", "Swagger UI over the public API description"),
    (r"^/redoc$", "ReDoc over the public API description"),
    (r"^/login$", "the staff login page itself"),
    (r"^/logout$", "ends whatever session the browser holds"),
    (r"^/static(/.*)?$", "stylesheets and scripts"),
    (r"^(/api/v1)?/webhooks(/.*)?$", "provider callbacks, authenticated by their HMAC signatures"),
    (r"^/portal(/.*)?$", "the customer portal, authenticated by signed links and customer verification"),
    (r"^/unsubscribe/[^/]+$", "email opt-out links (RULES.md R-10), authenticated by a signed token"),
)
_PUBLIC = [re.compile(pattern) for pattern, _ in PUBLIC_ROUTES]

_bearer = HTTPBearer(auto_error=False, scheme_name="bearerAuth",
                     description="An API token from `cupx token create USER`.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="sessionCookie",
                       description="The session cookie set by POST /login (pages).")


def is_public(path: str) -> bool:
    """True when a route path is on the public allow-list."""
    return any(p.match(path) for p in _PUBLIC)


class LoginRequired(AuthenticationFailed):
    """No credentials on a browser page request: the web layer answers with a redirect to /login."""


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _serializer(runtime: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.settings.secret_key, salt="cupx.session")


def issue_session(response: Response, runtime: Runtime, principal: Principal) -> str:
    """Set a fresh session cookie for a principal (after login) and return its CSRF token."""
    csrf = secrets.token_urlsafe(24)
    value = _serializer(runtime).dumps({"uid": principal.user_id, "csrf": csrf})
    response.set_cookie(SESSION_COOKIE, value, max_age=runtime.settings.session_max_age_s, httponly=True,
                        samesite="lax", secure=runtime.settings.public_base_url.startswith("https://"), path="/")
    return csrf


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def read_session(request: Request) -> dict[str, Any] | None:
    """The verified session payload ({"uid", "csrf"}) or None when absent, forged or expired."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    runtime = _runtime(request)
    try:
        data = _serializer(runtime).loads(raw, max_age=runtime.settings.session_max_age_s)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int) or not isinstance(data.get("csrf"), str):
        return None
    return data


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session, for forms (hidden `csrf_token` field); "" without one."""
    session = read_session(request)
    return str(session["csrf"]) if session else ""


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept and not request.url.path.startswith("/api/")


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches the parsed form, so the route can read it again
        value = form.get(CSRF_FORM_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise PermissionDenied("missing or wrong CSRF token", field=CSRF_HEADER)


def _from_token(runtime: Runtime, token: str) -> Principal:
    with runtime.uow() as uow:
        return authenticate_token(uow, token)


def _from_session(runtime: Runtime, user_id: int) -> Principal:
    with runtime.uow() as uow:
        return principal_for_user(uow, user_id)


def token_cache(request: Request) -> TokenCache:
    """The app's cache of authenticated bearer tokens (one per app, created on first use)."""
    cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
    if cache is None:
        cache = request.app.state.token_cache = TokenCache()
    return cache


async def _bearer_principal(request: Request, token: str) -> Principal:
    # A cache hit needs neither a database connection nor a hop to the thread pool.
    cache, digest = token_cache(request), hash_token(token)
    principal = cache.get(digest)
    if principal is None:
        epoch = credentials_epoch()  # read before the look-up, so a revocation meanwhile voids the entry
        principal = await run_in_threadpool(_from_token, _runtime(request), token)
        cache.put(digest, principal, epoch)
    return principal


async def authenticate(request: Request, bearer: HTTPAuthorizationCredentials | None) -> Principal:
    """The principal behind a request's credentials, or AuthenticationFailed."""
    runtime = _runtime(request)
    if bearer is not None:
        return await _bearer_principal(request, bearer.credentials)
    if request.headers.get("authorization"):
        raise AuthenticationFailed("the Authorization header must be `Bearer <token>`", field="Authorization")
    session = read_session(request)
    if session is None:
        if _wants_html(request):
            raise LoginRequired("sign in to see this page", details={"login": _login_url(request)})
        raise AuthenticationFailed("authentication required: a bearer token or a session cookie")
    principal = await run_in_threadpool(_from_session, runtime, session["uid"])
    if request.method not in _SAFE_METHODS:
        await _check_csrf(request, session["csrf"])
    return principal


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


_CACHE: dict[Permission | None, Callable[..., Awaitable[Principal]]] = {}


def require(permission: Permission | None) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency admitting staff whose role holds `permission` (any staff user for None)."""
    # One callable per permission, so FastAPI's per-request dependency cache runs it once per request.
    if permission in _CACHE:
        return _CACHE[permission]

    async def dependency(request: Request,
                         bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                         _cookie_value: str | None = Depends(_cookie)) -> Principal:
        principal = await authenticate(request, bearer)
        if permission is not None and not role_has(principal.role, permission):
            raise PermissionDenied(f"role {principal.role} lacks permission {permission}",
                                   details={"permission": str(permission)})
        request.state.principal = principal
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.name.lower() if permission else 'staff'}"
    _CACHE[permission] = dependency
    return dependency

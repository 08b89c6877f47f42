"""The HTTP API and web app factory.

`create_app(runtime)` builds a FastAPI app; every module in `cupx.entrypoints.api.routes` and in
`cupx.entrypoints.web` that defines `router` is included, so areas add routes without editing this
file; a module may also define `install(app)` for setup that is not a route (the web layer mounts
/static and redirects page requests without a session to /login). One exception handler maps
`CupxError.code` to an HTTP status; nothing below raises HTTPException.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cupx import __version__
from cupx.bootstrap import Runtime
from cupx.domain.errors import CupxError, ErrorCode

__all__ = ["STATUS_BY_CODE", "create_app"]

STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION: 422,
    ErrorCode.CURRENCY_MISMATCH: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.AUTHENTICATION_FAILED: 401,
    ErrorCode.POLICY_VIOLATION: 422,
}


def _route_modules() -> list[ModuleType]:
    from cupx.entrypoints import web
    from cupx.entrypoints.api import routes

    found = []
    for pkg in (routes, web):
        for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not mod.name.startswith("_"):
                found.append(importlib.import_module(f"{pkg.__name__}.{mod.name}"))
    return found


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="CU-PX", version=__version__, openapi_url="/openapi.json")
    app.state.runtime = runtime

    @app.exception_handler(CupxError)
    async def _cupx_error(_request: Request, exc: CupxError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.code == ErrorCode.AUTHENTICATION_FAILED else None
        return JSONResponse(status_code=STATUS_BY_CODE.get(exc.code, 400), content={"error": exc.to_dict()},
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")),
             "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return JSONResponse(status_code=422, content={"error": {
            "code": str(ErrorCode.VALIDATION), "message": first["message"], "field": first["field"],
            "details": {"errors": errors}}})

    for module in _route_modules():
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
        install = getattr(module, "install", None)  # optional non-route setup: static mounts, handlers
        if install is not None:
            install(app)
    return app

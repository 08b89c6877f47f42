"""HTTP-level errors (unknown path, wrong method) in the same JSON shape as every CupxError:
`{"error": {"code", "message"}}`, so clients parse one format. Codes: `not_found` (404),
`method_not_allowed` (405), otherwise `http_<status>`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cupx.domain.errors import ErrorCode

__all__ = ["install"]

_CODES = {404: str(ErrorCode.NOT_FOUND), 405: "method_not_allowed"}


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(status_code=exc.status_code, headers=getattr(exc, "headers", None),
                            content={"error": {"code": code, "message": str(exc.detail)}})

"""Idempotent POSTs: the same `Idempotency-Key` with the same body replays the first response and
causes the effect once; the same key with another body is refused with 409 `conflict`.

Use from a route (sync `def`, so it runs in the threadpool):

    @router.post("/api/v1/things", status_code=201)
    def post_thing(body: NewThing, request: Request, idempotency_key: IdempotencyKey = None,
                   _: Principal = Depends(require(Permission.X))) -> JSONResponse:
        return run_idempotent(request, scope="POST /api/v1/things", key=idempotency_key, payload=body,
                              action=lambda uow: (201, handle_thing(uow, ...)))

`action(uow)` runs the handler inside a unit of work and returns (status code, JSON-able body). When a
key is given, the handler's `uow.commit()` is deferred: the record and the handler's writes commit in
ONE transaction, so a crash cannot leave an effect without its record (or the reverse). Errors raised
by the action are not recorded: a request refused as invalid may be corrected and retried with the key.
Replayed responses carry the header `Idempotent-Replayed: true`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from cupx.bootstrap import Runtime
from cupx.domain.errors import Conflict, ValidationError
from cupx.services.idempotency import IdempotencyRecord, IdempotencyStore
from cupx.services.uow import UnitOfWork

__all__ = ["IDEMPOTENCY_HEADER", "MAX_KEY_LENGTH", "IdempotencyKey", "request_hash", "run_idempotent"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 150  # leaves room for a scope prefix where the key is also stored on a row
IdempotencyKey = Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER,
                                              description="Retry-safe key: same key and body, same result")]
T = TypeVar("T")


def request_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a parsed request (key order and whitespace do not matter)."""
    # A model dumped in JSON mode holds only JSON types already: jsonable_encoder would return it unchanged.
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else jsonable_encoder(payload)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class _RenderedJSON(JSONResponse):
    """A JSON response whose body was rendered already (the text stored in the idempotency record)."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else super().render(content)


def _json_text(body: Any) -> str:
    """The response body as JSON text, rendered as JSONResponse renders it (once: stored and sent)."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except TypeError:  # dates, decimals, models...: FastAPI's encoder knows them
        return json.dumps(jsonable_encoder(body), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class _DeferredCommitUow(UnitOfWork):
    """Wraps a unit of work so the handler's commit waits for the idempotency record."""

    def __init__(self, inner: UnitOfWork) -> None:
        self.inner = inner

    def __getitem__(self, port: type[T]) -> T:
        return self.inner[port]

    def commit(self) -> None:
        pass  # run_idempotent commits once, after recording the response

    def rollback(self) -> None:
        self.inner.rollback()

    @property
    def context(self) -> dict[str, Any]:
        return self.inner.context


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(f"{IDEMPOTENCY_HEADER} must be 1-{MAX_KEY_LENGTH} printable characters",
                              field=IDEMPOTENCY_HEADER)
    return key


def _replayed(record: IdempotencyRecord | None, digest: str) -> JSONResponse | None:
    if record is None:
        return None
    if record.request_hash != digest:
        raise Conflict(f"this {IDEMPOTENCY_HEADER} was already used with a different request",
                       field=IDEMPOTENCY_HEADER)
    return JSONResponse(json.loads(record.response_body), status_code=record.status_code,
                        headers={"Idempotent-Replayed": "true"})


def run_idempotent(request: Request, *, scope: str, key: str | None, payload: Any,
                   action: Callable[[UnitOfWork], tuple[int, Any]]) -> JSONResponse:
    """Run `action` at most once per (scope, key) and answer with its recorded response."""
    runtime: Runtime = request.app.state.runtime
    if key is None:
        with runtime.uow() as uow:
            status, body = action(uow)
        return JSONResponse(jsonable_encoder(body), status_code=status)
    key = _check_key(key)
    digest = request_hash(payload)
    try:
        # One connection for the look-up, the action and the record: the common first attempt checks
        # out the pool once. The unique (scope, key) still decides between concurrent first attempts.
        with runtime.uow() as uow:
            store = uow[IdempotencyStore]
            replayed = _replayed(store.get(scope, key), digest)
            if replayed is not None:
                return replayed
            status, body = action(_DeferredCommitUow(uow))
            content = _json_text(body)
            store.add(IdempotencyRecord(scope, key, digest, status, content, datetime.now(UTC)))
            uow.commit()
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        with runtime.uow() as uow:
            replayed = _replayed(uow[IdempotencyStore].get(scope, key), digest)
        if replayed is not None:
            return replayed
        raise Conflict("the request conflicts with existing data (a duplicate)", field=IDEMPOTENCY_HEADER) from None
    return _RenderedJSON(content.encode(), status_code=status)

"""Liveness: answers without authentication and checks the database answers."""

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter()


@router.get("/health", tags=["ops"])
def health(request: Request) -> dict[str, str]:
    with request.app.state.runtime.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}

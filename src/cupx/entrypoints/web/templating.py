"""Jinja2 rendering shared by every page: one `templates` environment over web/templates, and `render`,
which adds what the layout (base.html) needs: the signed-in principal, the session's CSRF token and
the current path.

Pages extend `base.html` and fill `title`, `content` and optionally `nav` and `head` blocks. Forms that
POST include `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">` (see security.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from cupx.entrypoints.api.security import csrf_token

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "render", "templates"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a template with the layout's context (principal, csrf_token, path) added."""
    ctx: dict[str, Any] = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)

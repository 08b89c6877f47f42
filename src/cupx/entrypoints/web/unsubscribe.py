"""The unsubscribe link in every email (R-10, 12 CFR 1006.6(e)): `/unsubscribe/{token}`.

GET shows a one-button page (link scanners that fetch URLs must not opt people out); POST records the
opt-out - from that button or from a mail client's one-click `List-Unsubscribe-Post` (RFC 8058), which
posts `List-Unsubscribe=One-Click` without cookies. The signed token (`<id>.<HMAC tag>` under the
app's secret) names the email address record and is its only authentication; the route is public by
path.
Nothing else is asked of the customer: no login, no fee, no reason (R-10).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from cupx.domain.errors import AuthenticationFailed
from cupx.services.inbound import read_unsubscribe_token, unsubscribe_email

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 36rem; margin: 3rem auto;"><h1>{title}</h1>{content}</body></html>"""


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), content=content), status_code=status)


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    try:
        read_unsubscribe_token(request.app.state.runtime.settings.secret_key, token)
    except AuthenticationFailed:
        return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 400)
    form = (f'<form method="post" action="/unsubscribe/{escape(token)}"><p>Stop emails to this address?</p>'
            '<button type="submit">Unsubscribe</button></form>')
    return _page("Unsubscribe", form)


@router.post("/unsubscribe/{token}")
async def unsubscribe(request: Request, token: str) -> HTMLResponse:
    runtime = request.app.state.runtime
    try:
        await run_in_threadpool(unsubscribe_email, runtime, token)
    except AuthenticationFailed:
        return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 400)
    return _page("Unsubscribed", "<p>You will not receive further emails from us at this address.</p>")

"""The one-time message a page shows after a form (成功/错误), carried in a short-lived cookie set by the
server, never in the URL: a link with `?error=...` cannot put words in the official banner."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from case_service.web.routes import _page

COOKIE = "hall_flash"
MAX_AGE_SECONDS = 60
LIMIT = 500


def redirect(url: str, *, message: str = "", error: str = "") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    body = {key: value[:LIMIT] for key, value in (("message", message), ("error", error)) if value}
    if body:
        response.set_cookie(
            COOKIE,
            json.dumps(body, ensure_ascii=True),
            max_age=MAX_AGE_SECONDS,
            path="/web",
            httponly=True,
            samesite="strict",
        )
    return response


def _taken(request: Request) -> dict[str, str]:
    try:
        body = json.loads(request.cookies.get(COOKIE) or "{}")
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {key: str(body[key])[:LIMIT] for key in ("message", "error") if body.get(key)}


def page(request: Request, template: str, ctx: Any, **values: Any) -> HTMLResponse:
    """`routes._page` with the flash from the cookie (shown once) instead of the URL's query."""
    flash = _taken(request)
    response = _page(request, template, ctx, message=flash.get("message"), error=flash.get("error"), **values)
    if request.cookies.get(COOKIE) is not None:
        response.delete_cookie(COOKIE, path="/web")
    return response

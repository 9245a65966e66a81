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


def redirect(
    url: str, *, message: str = "", error: str = "", kept: dict[str, str] | None = None
) -> RedirectResponse:
    """`kept`: what the clerk typed into the refused form (never ID numbers), to fill it in again."""
    response = RedirectResponse(url, status_code=303)
    body: dict[str, Any] = {
        key: value[:LIMIT] for key, value in (("message", message), ("error", error)) if value
    }
    if kept and error:
        body["kept"] = {key: value[:LIMIT] for key, value in kept.items() if value}
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


def _taken(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.cookies.get(COOKIE) or "{}")
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    taken: dict[str, Any] = {key: str(body[key])[:LIMIT] for key in ("message", "error") if body.get(key)}
    kept = body.get("kept")
    taken["kept"] = {str(k): str(v)[:LIMIT] for k, v in kept.items()} if isinstance(kept, dict) else {}
    return taken


def page(request: Request, template: str, ctx: Any, **values: Any) -> HTMLResponse:
    """`routes._page` with the flash from the cookie (shown once) instead of the URL's query."""
    flash = _taken(request)
    response = _page(
        request,
        template,
        ctx,
        message=flash.get("message"),
        error=flash.get("error"),
        kept=flash.get("kept", {}),
        **values,
    )
    if request.cookies.get(COOKIE) is not None:
        response.delete_cookie(COOKIE, path="/web")
    return response

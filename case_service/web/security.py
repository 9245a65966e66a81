"""Security headers on the staff pages: no framing, no sniffing, no referrer, no script — except on the
figures pages (/web/reports), whose charts are drawn by scripts served by the case service itself."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages have no scripts; their styles are inline <style> blocks.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The figures pages: the vendored ECharts and the page's own script, from this origin only; no inline script.
CHART_CSP = CSP + "; script-src 'self'"
CHART_PAGES = "/web/reports"
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_page(path: str) -> bool:
    return path in {"/", "/web"} or path.startswith("/web/")


class PageSecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if scope["path"] == CHART_PAGES or scope["path"].startswith(CHART_PAGES + "/"):
                    headers["Content-Security-Policy"] = CHART_CSP
            await send(message)

        await self.app(scope, receive, with_headers)

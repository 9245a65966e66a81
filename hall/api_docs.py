"""The HTTP API's documentation page (`/docs`, Swagger UI) with every asset served by the service itself.

FastAPI's own `/docs` and `/redoc` load their scripts from a CDN: on a hall's network without internet the
page stayed blank. Both services switch those off (`docs_url=None, redoc_url=None`) and call `install`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

VENDOR = Path(__file__).resolve().parent / "vendor" / "swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
ASSETS_PATH = "/docs/assets"


def install(app: FastAPI) -> None:
    """`GET /docs` (open: it shows the API's description, which `/openapi.json` already publishes) and its
    three assets."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    @app.get(f"{ASSETS_PATH}/{{name}}", include_in_schema=False, response_model=None)
    def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(VENDOR / name, media_type=media_type, headers={"Cache-Control": "max-age=86400"})

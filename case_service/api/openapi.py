"""The OpenAPI document as the API behaves: every signed-in operation lists 401 and 403 (and 404 where
a path names a resource) in the one error shape, and `Idempotency-Key` is required where the route
requires it (routes mark that with `REQUIRES_KEY`; the check itself stays in api/idempotency.py, so a
missing key answers the API's own 422)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from case_service.api.errors import ErrorBody

REQUIRES_KEY: dict[str, Any] = {"x-idempotency-key-required": True}
# Operations anyone may call (no token): (method, path).
PUBLIC = {
    ("get", "/api/v1/items"),
    ("get", "/api/v1/items/{code}"),
    ("get", "/api/v1/certificates/verify"),
    ("get", "/api/v1/certificates/keys"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/device-token"),
    ("get", "/healthz"),
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
WHY = {
    "401": "not signed in, or the token is expired, revoked or forged",
    "403": "signed in, but this principal may not do this",
    "404": "no such resource (or not one this principal may see)",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, part in {**schema.pop("$defs", {}), "ErrorBody": schema}.items():
        components.setdefault(name, part)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if (method, path) not in PUBLIC:
                for status in ("401", "403"):
                    responses.setdefault(status, _error(WHY[status]))
            if "{" in path:
                responses.setdefault("404", _error(WHY["404"]))
            if operation.pop("x-idempotency-key-required", False):
                for parameter in operation.get("parameters", []):
                    if parameter.get("name") == "Idempotency-Key":
                        parameter["required"] = True
                        parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 128}
    return spec


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

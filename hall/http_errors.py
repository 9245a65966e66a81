"""One error body for every HTTP failure of the hall: `{"error": {"code", "message", "details"}}`.

The case service and the hall controller both answer in this shape: `install` adds the handlers for bad
requests, HTTP errors, `ApiError` and anything unexpected; each service adds its own domain errors.
Every client reads a refusal with `error_code` and `error_message` (the staff pages, the kiosk, the soak).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "too_many_requests",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """A refusal with its own stable `code`, answered as `status` in the one error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def _error(body: object) -> Mapping[str, Any]:
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, Mapping) else {}


def error_code(body: object) -> str:
    """The `code` of a decoded error body; "" when `body` is not the one error shape (no older shapes
    are read: every service of the hall answers in this one)."""
    code = _error(body).get("code")
    return code if isinstance(code, str) else ""


def error_message(body: object) -> str:
    """The `message` of a decoded error body; "" when there is none."""
    message = _error(body).get("message")
    return message if isinstance(message, str) else ""


class _Answer(Protocol):
    def json(self) -> Any: ...


def body_of(answer: _Answer) -> object:
    """An HTTP answer's decoded JSON body (httpx, requests, Starlette's TestClient), or None when it has
    no JSON body: what `error_code` and `error_message` read."""
    try:
        return answer.json()
    except ValueError:  # not JSON (an HTML error page of a proxy, an empty body)
        return None


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers or None)


def validation_problems(err: RequestValidationError) -> list[dict[str, Any]]:
    # Plain strings only: FastAPI's own handler fails (500) on a body that is not UTF-8.
    return [
        {
            "loc": [str(part) for part in item.get("loc", ())],
            "msg": str(item.get("msg", ""))[:200],
            "type": item.get("type"),
        }
        for item in err.errors()
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _refused(_request: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.code, err.message, err.details, err.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = validation_problems(err)
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        where = ".".join(part for part in first["loc"] if part not in {"body", "query", "path"})
        message = f"{where}: {first['msg']}" if where else str(first["msg"])
        return error_response(422, "validation_error", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = CODE_BY_STATUS.get(err.status_code, "http_error")
        message, details = (err.detail, None) if isinstance(err.detail, str) else ("refused", err.detail)
        return error_response(err.status_code, code, message, details, err.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error: %s", type(err).__name__)
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")

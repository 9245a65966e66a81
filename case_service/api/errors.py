"""One error body for every failure: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from case_service.domain import errors
from case_service.domain.signin import TooManyError

log = logging.getLogger(__name__)

STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFoundError: 404,
    errors.IllegalTransitionError: 409,
    errors.ConflictError: 409,
    errors.ForbiddenError: 403,
    errors.UnauthorizedError: 401,
    errors.InvalidInputError: 422,
    errors.PayloadTooLargeError: 413,
    errors.UnsupportedMediaError: 415,
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def too_many(err: TooManyError) -> JSONResponse:
    """429 in the one error shape, with Retry-After (the HTTPException handler drops headers)."""
    answer = error_response(429, "too_many_requests", str(err), {"retry_after": err.retry_after})
    answer.headers["Retry-After"] = str(err.retry_after)
    return answer


def status_of(err: errors.DomainError) -> int:
    for kind in type(err).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain(_request: Request, err: errors.DomainError) -> JSONResponse:
        return error_response(status_of(err), err.code, err.message, err.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "loc": [str(part) for part in item.get("loc", ())],
                "msg": str(item.get("msg")),
                "type": item.get("type"),
            }
            for item in err.errors()
        ]
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        where = ".".join(part for part in first["loc"] if part not in {"body", "query", "path"})
        message = f"{where}: {first['msg']}" if where else str(first["msg"])
        return error_response(422, "validation_error", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            err.status_code, "http_error"
        )
        return error_response(err.status_code, code, str(err.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error: %s", type(err).__name__)
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")

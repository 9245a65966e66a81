"""The case service's errors in the hall's one error body (hall/http_errors.py): domain errors by kind."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from case_service.domain import errors
from case_service.domain.signin import TooManyError
from hall import http_errors
from hall.http_errors import ErrorBody, error_response

__all__ = ["ErrorBody", "error_response", "install", "status_of", "too_many"]

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


def too_many(err: TooManyError) -> JSONResponse:
    """429 in the one error shape, with Retry-After."""
    return error_response(
        429,
        "too_many_requests",
        str(err),
        {"retry_after": err.retry_after},
        headers={"Retry-After": str(err.retry_after)},
    )


def status_of(err: errors.DomainError) -> int:
    for kind in type(err).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def install(app: FastAPI) -> None:
    http_errors.install(app)

    @app.exception_handler(errors.DomainError)
    async def _domain(_request: Request, err: errors.DomainError) -> JSONResponse:
        return error_response(status_of(err), err.code, err.message, err.details)

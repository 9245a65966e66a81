"""Domain errors; the API layer maps each kind to one HTTP status and the one error body shape."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the rules refuse; `code` is stable for clients, `message` is for people."""

    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(DomainError):
    code = "not_found"


class ConflictError(DomainError):
    code = "conflict"


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"


class ForbiddenError(DomainError):
    code = "forbidden"


class UnauthorizedError(DomainError):
    code = "unauthorized"


class InvalidInputError(DomainError):
    code = "invalid_input"


class PayloadTooLargeError(DomainError):
    code = "payload_too_large"


class UnsupportedMediaError(DomainError):
    code = "unsupported_media_type"

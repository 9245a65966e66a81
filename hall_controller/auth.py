"""Who may change the hall's state over HTTP: the case service's staff tokens, verified on the spot.

The case service signs staff tokens (`v1.<payload>.<sig>`, HMAC-SHA256, the one format of hall/tokens.py)
with its HALL_SECRET_KEY. The controller holds the same key (HALL_CONTROLLER__STAFF_TOKEN_KEY; in
development it falls back to HALL_SECRET_KEY) and verifies tokens itself, without a round trip: a clerk
signed in before a network cut keeps calling tickets while the case service is away. Only signing in
needs the case service (`POST /api/v1/auth/login`, forwarded).

Roles: clerk actions need ``clerk`` or ``manager``; hall management (remote opening, alarms, follow-ups,
audit) needs ``manager`` or ``admin``. The name recorded is the token's subject, never a name in a body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request

from hall.errors import StartupError
from hall.settings import DEV_SECRET_KEY, Mode, Settings
from hall.tokens import TokenCodec, TokenRejectedError

log = logging.getLogger(__name__)

# The case service's roles and principal kinds, as its tokens carry them.
CLERKS = frozenset({"clerk", "manager"})
MANAGERS = frozenset({"manager", "admin"})
STAFF, DEVICE, KIOSK = "staff", "device", "kiosk"
MIN_KEY_LENGTH = 32
KEY_VARIABLE = "HALL_CONTROLLER__STAFF_TOKEN_KEY"
T = TypeVar("T")


@dataclass(frozen=True)
class Staff:
    username: str
    roles: frozenset[str]
    expires_at: int


class StaffTokens:
    """Reads a bearer token; `TokenRejectedError` unless it is a valid, unexpired staff token."""

    def __init__(self, key: str) -> None:
        self._codec = TokenCodec(key)

    def read(self, token: str, now: float | None = None) -> Staff:
        claims = self._codec.read(token, now)
        if claims.kind != STAFF:
            raise TokenRejectedError("not a staff token")
        return Staff(claims.subject, claims.roles, claims.expires_at)

    def read_voucher(self, token: str, now: float | None = None) -> str:
        """Who may vouch for an ID card read at their own desk: a kiosk's device token (the kiosk's card
        reader) or a clerk's or manager's staff token. Returns who, for the log; else TokenRejectedError."""
        claims = self._codec.read(token, now)
        if claims.kind == DEVICE and KIOSK in claims.roles:
            return f"kiosk:{claims.subject}"
        if claims.kind == STAFF and claims.roles & CLERKS:
            return f"staff:{claims.subject}"
        raise TokenRejectedError("neither a kiosk's device token nor a clerk's token")


def staff_token_key(settings: Settings) -> str:
    """The shared key; production refuses a missing, development or short one (a one-line StartupError)."""
    configured = settings.controller.staff_token_key
    if settings.mode is not Mode.PRODUCTION:
        return (configured or settings.secret_key).get_secret_value()
    if configured is None:
        raise StartupError(f"production mode needs {KEY_VARIABLE} (the case service's HALL_SECRET_KEY)")
    key = configured.get_secret_value()
    if key == DEV_SECRET_KEY or len(key) < MIN_KEY_LENGTH:
        raise StartupError(
            f"production mode refuses a development or short {KEY_VARIABLE} (≥ {MIN_KEY_LENGTH} characters)"
        )
    return key


def _bearer(request: Request, needed: str) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, f"{needed} is needed", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def _verified(request: Request, needed: str, read: Callable[[StaffTokens, str], T]) -> T:
    token = _bearer(request, needed)
    tokens: StaffTokens = request.app.state.staff_tokens
    try:
        return read(tokens, token)
    except TokenRejectedError as err:
        # The reason (expired, forged) is for the log; the caller only learns it was refused.
        log.info("refused a token on %s %s: %s", request.method, request.url.path, err.message)
        raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}) from err


def id_card_voucher(request: Request) -> str:
    """An ID number is no secret: a pickup by one over HTTP needs a kiosk or a clerk who read the card."""
    return _verified(request, "a kiosk's device token or a clerk's token", StaffTokens.read_voucher)


def optional_voucher(request: Request) -> str | None:
    """Like `id_card_voucher`, for routes open to everyone that give more to a kiosk or a clerk: None
    without an Authorization header, 401 for a token that is not a kiosk's or a clerk's."""
    if "authorization" not in request.headers:
        return None
    return id_card_voucher(request)


def client_address(request: Request) -> str:
    """Who is asking, for per-source limits: the peer's address (the controller is not behind a proxy)."""
    return request.client.host if request.client is not None else "unknown"


def _staff(request: Request) -> Staff:
    return _verified(request, "a staff token", StaffTokens.read)


def requires(allowed: frozenset[str]) -> Callable[[Request], Staff]:
    """A FastAPI dependency: the signed-in staff member, 401 without a valid token, 403 without the role."""
    names = " or ".join(sorted(allowed))

    def dependency(request: Request) -> Staff:
        staff = _staff(request)
        if not staff.roles & allowed:
            log.warning(
                "%s (%s) refused %s %s",
                staff.username,
                ",".join(sorted(staff.roles)),
                request.method,
                request.url.path,
            )
            raise HTTPException(403, f"this needs the role {names}")
        return staff

    return dependency


Clerk = Annotated[Staff, Depends(requires(CLERKS))]
Manager = Annotated[Staff, Depends(requires(MANAGERS))]

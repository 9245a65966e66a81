"""Device enrolment rules: one-time codes, their expiry, and what each device kind may ask for.

Pure: no I/O. The routes (case_service.api.routes.admin, .auth) store the digests and timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from case_service.domain.states import Role

CODE_TTL_MS = 24 * 3600 * 1000  # an enrolment code is good for a day, and once
# The kinds an admin registers. Only kiosks and controllers get case-service tokens; the other devices
# (displays, keypads, evaluators, locker gateways, window devices) speak only MQTT.
KINDS = ("controller", "kiosk", "device")
TOKEN_ROLES = {"kiosk": Role.KIOSK, "controller": Role.CONTROLLER}


@dataclass(frozen=True)
class EnrolmentCode:
    code: str  # shown once to the admin, never stored
    digest: str
    expires_ms: int


def new_code(now_ms: int) -> EnrolmentCode:
    code = secrets.token_urlsafe(15)
    return EnrolmentCode(code, code_digest(code), now_ms + CODE_TTL_MS)


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def code_matches(digest: str | None, expires_ms: int, code: str, now_ms: int) -> bool:
    """The code is the one issued, not yet used (digest cleared on use) and not expired."""
    if digest is None or now_ms >= expires_ms:
        return False
    return hmac.compare_digest(digest, code_digest(code))


def state(*, active: bool, secret_hash: str, digest: str | None) -> str:
    if not active:
        return "revoked"
    if secret_hash:
        return "enrolled"
    return "awaiting_enrolment" if digest else "no_credential"

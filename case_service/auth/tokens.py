"""The case service's principals in the hall's bearer tokens (hall/tokens.py: format, signature, expiry).

Applicant tokens carry the person's name and ID number only encrypted (PiiCipher), so a token read off a
kiosk's log reveals nothing.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum

from case_service.domain.errors import UnauthorizedError
from case_service.domain.states import Role
from hall.tokens import Claims, TokenCodec, TokenRejectedError

STAFF_TTL = 8 * 3600
DEVICE_TTL = 12 * 3600
APPLICANT_TTL = 10 * 60


class PrincipalKind(StrEnum):
    STAFF = "staff"
    DEVICE = "device"
    APPLICANT = "applicant"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    subject: str  # username, device id, or the applicant's blind index
    roles: frozenset[Role] = field(default_factory=frozenset)
    department: str | None = None
    expires_at: int = 0
    device_id: str | None = None  # for applicant tokens: the kiosk that read the card
    sealed_name: str | None = None  # applicant tokens: PiiCipher ciphertexts
    sealed_id_number: str | None = None
    # Applicant tokens: the person's blind index under each older PII key, so cases filed before a key
    # rotation stay theirs.
    aliases: tuple[str, ...] = ()
    # Device tokens: the device's card-attestation key (devices/idcard/attestation.py), sealed.
    sealed_attestation_key: str | None = None
    token_id: str = ""  # jti: what a sign-out or an administrator revokes
    issued_at_ms: int = 0

    @property
    def applicant_indexes(self) -> tuple[str, ...]:
        return (self.subject, *self.aliases)

    @property
    def actor(self) -> str:
        """How the audit trail names this principal (never an ID number)."""
        if self.kind is PrincipalKind.APPLICANT:
            return f"applicant:{self.subject[:12]} via {self.device_id}"
        return f"{self.kind.value}:{self.subject}"

    @property
    def idempotency_scope(self) -> str:
        return f"{self.kind.value}:{self.subject}"


SYSTEM = Principal(PrincipalKind.SYSTEM, "deadline-sweep", frozenset({Role.SYSTEM}))


class TokenSigner:
    """Issues and reads the hall's tokens (hall/tokens.py) as the case service's principals."""

    def __init__(self, secret_key: str) -> None:
        self._codec = TokenCodec(secret_key)

    def issue(self, principal: Principal, ttl: int, now: float | None = None) -> tuple[str, int]:
        at = now if now is not None else time.time()
        expires = int(at + ttl)
        claims = Claims(
            kind=principal.kind.value,
            subject=principal.subject,
            roles=frozenset(role.value for role in principal.roles),
            department=principal.department,
            expires_at=expires,
            device_id=principal.device_id,
            sealed_name=principal.sealed_name,
            sealed_id_number=principal.sealed_id_number,
            aliases=principal.aliases,
            sealed_attestation_key=principal.sealed_attestation_key,
            token_id=secrets.token_hex(12),
            issued_at_ms=int(at * 1000),
        )
        return self._codec.encode(claims), expires

    def read(self, token: str, now: float | None = None) -> Principal:
        """The token's principal; UnauthorizedError when it is malformed, forged or expired."""
        try:
            claims = self._codec.read(token, now)
        except TokenRejectedError as err:
            raise UnauthorizedError(err.message) from err
        return _principal(claims)


def _principal(claims: Claims) -> Principal:
    try:
        return Principal(
            kind=PrincipalKind(claims.kind),
            subject=claims.subject,
            roles=frozenset(Role(role) for role in claims.roles),
            department=claims.department,
            expires_at=claims.expires_at,
            device_id=claims.device_id,
            sealed_name=claims.sealed_name,
            sealed_id_number=claims.sealed_id_number,
            aliases=claims.aliases,
            sealed_attestation_key=claims.sealed_attestation_key,
            token_id=claims.token_id,
            issued_at_ms=claims.issued_at_ms,
        )
    except ValueError as err:
        raise UnauthorizedError("malformed token payload") from err

"""Bearer tokens: a JSON payload and an HMAC-SHA256 signature under settings.secret_key.

`v1.<payload>.<signature>`, both base64url. Applicant tokens carry the person's name and ID number
only encrypted (PiiCipher), so a token read off a kiosk's log reveals nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from case_service.domain.errors import UnauthorizedError
from case_service.domain.states import Role

STAFF_TTL = 8 * 3600
DEVICE_TTL = 12 * 3600
APPLICANT_TTL = 10 * 60
SEEN_TOKENS = 10_000  # verified tokens remembered per signer (each ~1 KiB)


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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"case-service-token:" + secret_key.encode()).digest()
        self._seen: dict[str, Principal] = {}  # verified tokens; dict operations are atomic under the GIL

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, principal: Principal, ttl: int, now: float | None = None) -> tuple[str, int]:
        at = now if now is not None else time.time()
        expires = int(at + ttl)
        payload: dict[str, Any] = {
            "jti": secrets.token_hex(12),
            "iat": int(at * 1000),
            "k": principal.kind.value,
            "sub": principal.subject,
            "roles": sorted(role.value for role in principal.roles),
            "dep": principal.department,
            "exp": expires,
            "dev": principal.device_id,
            "nm": principal.sealed_name,
            "idn": principal.sealed_id_number,
            "alt": list(principal.aliases),
        }
        if principal.sealed_attestation_key:
            payload["att"] = principal.sealed_attestation_key
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"v1.{body}.{self._sign(body)}", expires

    def read(self, token: str, now: float | None = None) -> Principal:
        """Verifies the signature and the expiry. A token seen before is not verified again (it cannot
        change: the signature covers every byte); its expiry is checked on every read."""
        principal = self._seen.get(token)
        if principal is None:
            principal = self._verify(token)
            if len(self._seen) >= SEEN_TOKENS:
                self._seen.clear()  # simpler than LRU; a full cache is rare and costs one verify each
            self._seen[token] = principal
        if principal.expires_at < (now if now is not None else time.time()):
            raise UnauthorizedError("token expired")
        return principal

    def _verify(self, token: str) -> Principal:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise UnauthorizedError("malformed token")
        body, signature = parts[1], parts[2]
        if not hmac.compare_digest(self._sign(body), signature):
            raise UnauthorizedError("token signature does not verify")
        try:
            payload = json.loads(_unb64(body))
            principal = Principal(
                kind=PrincipalKind(payload["k"]),
                subject=str(payload["sub"]),
                roles=frozenset(Role(role) for role in payload["roles"]),
                department=payload.get("dep"),
                expires_at=int(payload["exp"]),
                device_id=payload.get("dev"),
                sealed_name=payload.get("nm"),
                sealed_id_number=payload.get("idn"),
                aliases=tuple(str(alias) for alias in payload.get("alt") or ()),
                sealed_attestation_key=payload.get("att"),
                token_id=str(payload.get("jti") or ""),
                issued_at_ms=int(payload.get("iat") or 0),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as err:
            raise UnauthorizedError("malformed token payload") from err
        return principal

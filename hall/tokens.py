"""The hall's bearer tokens: a JSON payload and an HMAC-SHA256 signature under the case service's key.

`v1.<payload>.<signature>`, both base64url. The case service issues them (case_service/auth/tokens.py adds
its principals and roles on top); the hall controller verifies staff tokens with the same key, without a
round trip. Applicant tokens carry the person's name and ID number only encrypted (PiiCipher), so a token
read off a kiosk's log reveals nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

SEEN_TOKENS = 10_000  # verified tokens remembered per reader (each ~1 KiB)


class TokenRejectedError(Exception):
    """Malformed, forged or expired; the message says which, for the log only."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Claims:
    kind: str  # staff, device, applicant, system
    subject: str  # username, device id, or the applicant's blind index
    roles: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None
    expires_at: int = 0
    device_id: str | None = None  # applicant tokens: the kiosk that read the card
    sealed_name: str | None = None  # applicant tokens: PiiCipher ciphertexts
    sealed_id_number: str | None = None
    aliases: tuple[str, ...] = ()  # applicant tokens: blind indexes under older PII keys
    sealed_attestation_key: str | None = None  # device tokens: the card-attestation key, sealed
    token_id: str = ""  # jti: what a sign-out or an administrator revokes
    issued_at_ms: int = 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Signs and reads tokens under `secret_key` (the case service's HALL_SECRET_KEY)."""

    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"case-service-token:" + secret_key.encode()).digest()
        self._seen: dict[str, Claims] = {}  # verified tokens; dict operations are atomic under the GIL

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def encode(self, claims: Claims) -> str:
        payload: dict[str, Any] = {
            "k": claims.kind,
            "sub": claims.subject,
            "roles": sorted(claims.roles),
            "dep": claims.department,
            "exp": claims.expires_at,
            "dev": claims.device_id,
            "nm": claims.sealed_name,
            "idn": claims.sealed_id_number,
            "alt": list(claims.aliases),
            "jti": claims.token_id,
            "iat": claims.issued_at_ms,
        }
        if claims.sealed_attestation_key:
            payload["att"] = claims.sealed_attestation_key
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"v1.{body}.{self._sign(body)}"

    def read(self, token: str, now: float | None = None) -> Claims:
        """Verifies the signature and the expiry. A token seen before is not verified again (it cannot
        change: the signature covers every byte); its expiry is checked on every read."""
        claims = self._seen.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._seen) >= SEEN_TOKENS:
                self._seen.clear()  # simpler than LRU; a full cache is rare and costs one verify each
            self._seen[token] = claims
        if claims.expires_at < (now if now is not None else time.time()):
            raise TokenRejectedError("token expired")
        return claims

    def _verify(self, token: str) -> Claims:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise TokenRejectedError("malformed token")
        body, signature = parts[1], parts[2]
        if not hmac.compare_digest(self._sign(body), signature):
            raise TokenRejectedError("token signature does not verify")
        try:
            payload = json.loads(_unb64(body))
            return Claims(
                kind=str(payload["k"]),
                subject=str(payload["sub"]),
                roles=frozenset(str(role) for role in payload["roles"]),
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
            raise TokenRejectedError("malformed token payload") from err

"""Signed certificate payloads: compact enough for a QR code, verifiable offline with a public key.

Token layout (ASCII, QR byte mode)::

    C1.<base64url(body)>.<base64url(signature)>

`body` is a compact JSON array ``[key_id, number, holder, item, issued YYYYMMDD, valid_until YYYYMMDD or
"", revision]``. The signature covers ``C1.<base64url(body)>`` exactly as transmitted, so no
canonicalisation is needed and the version prefix is bound into what is signed.

The algorithm is behind `Signer` / `Verifier`: Ed25519 (RFC 8032, via `cryptography`) here; an SM2
(GB/T 32918, with SM3 and the default user id) implementation with the same two methods slots in for
deployments that must use the national algorithms (see docs/certificates.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

TOKEN_VERSION = "C1"  # noqa: S105 - a format tag, not a secret
TOKEN_QUERY_PARAMETER = "t"  # noqa: S105 - a URL parameter name
MAX_TOKEN_LENGTH = 2000


class Signer(Protocol):
    key_id: str
    algorithm: str

    def sign(self, message: bytes) -> bytes: ...


class Verifier(Protocol):
    key_id: str
    algorithm: str

    def verify(self, signature: bytes, message: bytes) -> bool: ...


def key_id_for(public_raw: bytes) -> str:
    """A short, stable id: the first 8 hex digits of SHA-256 over the raw public key."""
    return hashlib.sha256(public_raw).hexdigest()[:8]


class Ed25519Signer:
    algorithm = "Ed25519"

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public = Ed25519Verifier(private_key.public_key())
        self.key_id = self.public.key_id

    @classmethod
    def generate(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> Ed25519Signer:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the certificate signing key must be an Ed25519 private key")
        return cls(key)

    def private_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)


class Ed25519Verifier:
    algorithm = "Ed25519"

    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self._public_key = public_key
        self.key_id = key_id_for(self.raw())

    @classmethod
    def from_pem(cls, pem: bytes) -> Ed25519Verifier:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return cls(key)

    def raw(self) -> bytes:
        return self._public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def pem(self) -> bytes:
        return self._public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class CertificateClaims:
    """What the QR code asserts; a verifier compares it with what is printed on the paper."""

    key_id: str
    number: str
    holder: str
    item: str
    issued_on: date
    valid_until: date | None
    revision: int = 1


class RejectionReason(StrEnum):
    MALFORMED = "malformed"
    UNSUPPORTED_VERSION = "unsupported-version"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"


REASON_TEXT = {
    RejectionReason.MALFORMED: "二维码内容不是有效的证照签名数据",
    RejectionReason.UNSUPPORTED_VERSION: "二维码格式版本不受支持",
    RejectionReason.UNKNOWN_KEY: "签名密钥未知：证照并非本系统签发，或密钥未被信任",
    RejectionReason.BAD_SIGNATURE: "签名不符：二维码内容被篡改，或并非由所示密钥签发",
}


class TokenRejectedError(Exception):
    def __init__(self, reason: RejectionReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail or REASON_TEXT[reason]}")
        self.reason = reason
        self.detail = detail or REASON_TEXT[reason]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_claims(claims: CertificateClaims, signer: Signer) -> str:
    if claims.key_id != signer.key_id:
        raise ValueError("the claims name a different key than the signer's")
    body = [
        claims.key_id,
        claims.number,
        claims.holder,
        claims.item,
        claims.issued_on.strftime("%Y%m%d"),
        claims.valid_until.strftime("%Y%m%d") if claims.valid_until else "",
        claims.revision,
    ]
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    signed_part = f"{TOKEN_VERSION}.{_b64encode(encoded)}"
    return f"{signed_part}.{_b64encode(signer.sign(signed_part.encode('ascii')))}"


def token_from_scan(scanned: str) -> str:
    """The token from what a scanner read: the bare token, or a verification URL carrying it."""
    text = scanned.strip()
    if text.startswith(("http://", "https://")):
        values = parse_qs(urlsplit(text).query).get(TOKEN_QUERY_PARAMETER, [])
        if not values:
            raise TokenRejectedError(RejectionReason.MALFORMED, "the URL carries no certificate token")
        return values[0]
    return text


def verifiers_from_published(document: object) -> dict[str, Verifier]:
    """Trusted keys from the case service's `GET /certificates/keys` answer, for offline verification.

    A key whose PEM does not match its stated id is refused, so a tampered key list cannot smuggle in a
    key under a trusted id.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a published key list")
    verifiers: dict[str, Verifier] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("algorithm") != Ed25519Verifier.algorithm:
            continue
        verifier = Ed25519Verifier.from_pem(str(entry.get("pem", "")).encode("ascii"))
        if verifier.key_id != entry.get("key_id"):
            raise ValueError(f"published key {entry.get('key_id')!r} does not match its PEM")
        verifiers[verifier.key_id] = verifier
    return verifiers


def verify_token(token: str, verifiers: Mapping[str, Verifier]) -> CertificateClaims:
    """The claims if the token is well-formed and signed by a trusted key; else `TokenRejectedError`."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejectedError(RejectionReason.MALFORMED, "the token is too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejectedError(RejectionReason.MALFORMED)
    version, body_text, signature_text = parts
    if version != TOKEN_VERSION:
        raise TokenRejectedError(
            RejectionReason.UNSUPPORTED_VERSION, f"version {version[:10]!r} is not {TOKEN_VERSION}"
        )
    try:
        body = json.loads(_b64decode(body_text).decode("utf-8"))
        signature = _b64decode(signature_text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise TokenRejectedError(RejectionReason.MALFORMED) from err
    claims = _claims_from_body(body)
    verifier = verifiers.get(claims.key_id)
    if verifier is None:
        raise TokenRejectedError(RejectionReason.UNKNOWN_KEY, f"key {claims.key_id!r} is not trusted here")
    if not verifier.verify(signature, f"{version}.{body_text}".encode("ascii")):
        raise TokenRejectedError(RejectionReason.BAD_SIGNATURE)
    return claims


def _claims_from_body(body: object) -> CertificateClaims:
    if not isinstance(body, list) or len(body) != 7:
        raise TokenRejectedError(RejectionReason.MALFORMED, "the signed body has the wrong shape")
    key_id, number, holder, item, issued, valid_until, revision = body
    if not all(isinstance(value, str) for value in (key_id, number, holder, item, issued, valid_until)):
        raise TokenRejectedError(RejectionReason.MALFORMED, "the signed body has the wrong field types")
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise TokenRejectedError(RejectionReason.MALFORMED, "the revision is not a number")
    try:
        issued_on = _parse_day(issued)
        valid = _parse_day(valid_until) if valid_until else None
    except ValueError as err:
        raise TokenRejectedError(RejectionReason.MALFORMED, "a date in the signed body is invalid") from err
    return CertificateClaims(key_id, number, holder, item, issued_on, valid, revision)


def _parse_day(text: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))

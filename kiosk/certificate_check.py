"""Turning a certificate check into the kiosk's verdict: the case service's answer, or an offline check.

Offline, the signature is checked with the public keys the kiosk fetched earlier from
`GET /certificates/keys` (hall/signing.py, shared with the case service, does the cryptography);
revocation and replacement cannot be known then, so the verdict says it was offline. The holder's name
leaves here masked (张三丰 -> 张*丰): nothing else in the kiosk ever holds it whole.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

from hall.privacy import mask_name
from hall.signing import (
    RejectionReason,
    TokenRejectedError,
    Verifier,
    token_from_scan,
    verifiers_from_published,
    verify_token,
)
from kiosk.flow.model import Verification, VerifyReason

log = logging.getLogger(__name__)

# The case service's reasons (GET /certificates/verify) in the kiosk's words.
SERVICE_REASONS: dict[str, VerifyReason] = {
    "valid": VerifyReason.VALID,
    "signature-valid": VerifyReason.VALID,
    RejectionReason.MALFORMED.value: VerifyReason.DAMAGED,
    RejectionReason.UNSUPPORTED_VERSION.value: VerifyReason.DAMAGED,
    RejectionReason.UNKNOWN_KEY.value: VerifyReason.UNKNOWN_KEY,
    RejectionReason.BAD_SIGNATURE.value: VerifyReason.FORGED,
    "unknown-certificate": VerifyReason.UNKNOWN,
    "mismatch": VerifyReason.UNKNOWN,
    "revoked": VerifyReason.REVOKED,
    "superseded": VerifyReason.SUPERSEDED,
    "expired": VerifyReason.EXPIRED,
}
OFFLINE_REASONS = {
    RejectionReason.MALFORMED: VerifyReason.DAMAGED,
    RejectionReason.UNSUPPORTED_VERSION: VerifyReason.DAMAGED,
    RejectionReason.UNKNOWN_KEY: VerifyReason.UNKNOWN_KEY,
    RejectionReason.BAD_SIGNATURE: VerifyReason.FORGED,
}


def service_reason(reason: str) -> VerifyReason:
    found = SERVICE_REASONS.get(reason)
    if found is None:
        log.warning("unknown verification reason %r from the case service: shown as not valid", reason)
        return VerifyReason.UNKNOWN
    return found


def trusted_keys(published: object) -> dict[str, Verifier]:
    """The verifiers of a `GET /certificates/keys` answer; ValueError when it is not one."""
    return verifiers_from_published(published)


def check_offline(scanned: str, verifiers: Mapping[str, Verifier], today: date) -> Verification:
    """Signature and validity dates only: whether it was revoked or replaced is not known offline."""
    try:
        claims = verify_token(token_from_scan(scanned), verifiers)
    except TokenRejectedError as err:
        return Verification(OFFLINE_REASONS[err.reason], offline=True)
    expired = claims.valid_until is not None and claims.valid_until < today
    return Verification(
        VerifyReason.EXPIRED if expired else VerifyReason.VALID,
        holder_masked=mask_name(claims.holder),
        certificate_name=claims.item,
        number=claims.number,
        valid_from=claims.issued_on.isoformat(),
        valid_until=claims.valid_until.isoformat() if claims.valid_until else "",
        offline=True,
    )

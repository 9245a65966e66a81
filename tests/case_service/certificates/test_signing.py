"""Signed QR payloads: round trip, and every way a bad one is rejected with its reason."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.signing import (
    CertificateClaims,
    Ed25519Signer,
    Ed25519Verifier,
    RejectionReason,
    TokenRejectedError,
    sign_claims,
    token_from_scan,
    verify_token,
)

SIGNER = Ed25519Signer.generate()
TRUSTED = {SIGNER.key_id: SIGNER.public}


def _claims(signer: Ed25519Signer = SIGNER, **changes: object) -> CertificateClaims:
    fields: dict[str, object] = {
        "key_id": signer.key_id,
        "number": "SP-001-2026-00012345",
        "holder": "张三丰",
        "item": "食品经营许可（新办）",
        "issued_on": dt.date(2026, 11, 21),
        "valid_until": dt.date(2031, 11, 20),
        "revision": 1,
    }
    fields.update(changes)
    return CertificateClaims(**fields)  # type: ignore[arg-type]


def _reason(token: str) -> RejectionReason:
    with pytest.raises(TokenRejectedError) as caught:
        verify_token(token, TRUSTED)
    return caught.value.reason


def test_round_trip_and_compact_enough_for_a_small_qr() -> None:
    token = sign_claims(_claims(), SIGNER)

    assert verify_token(token, TRUSTED) == _claims()
    assert len(token) < 260


def test_tampered_body_is_rejected_as_bad_signature() -> None:
    token = sign_claims(_claims(), SIGNER)
    version, body, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    fields[2] = "李四"  # another holder's name
    forged = base64.urlsafe_b64encode(json.dumps(fields, ensure_ascii=False).encode()).rstrip(b"=").decode()

    assert _reason(f"{version}.{forged}.{signature}") is RejectionReason.BAD_SIGNATURE


def test_flipped_signature_byte_is_rejected() -> None:
    token = sign_claims(_claims(), SIGNER)
    head, _, signature = token.rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    bad = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()

    assert _reason(f"{head}.{bad}") is RejectionReason.BAD_SIGNATURE


def test_wrong_key_claiming_a_trusted_key_id_is_a_bad_signature() -> None:
    impostor = Ed25519Signer.generate()
    impostor.key_id = SIGNER.key_id  # pretends to be the hall's key

    assert _reason(sign_claims(_claims(), impostor)) is RejectionReason.BAD_SIGNATURE


def test_untrusted_key_is_rejected_as_unknown() -> None:
    stranger = Ed25519Signer.generate()

    assert _reason(sign_claims(_claims(stranger), stranger)) is RejectionReason.UNKNOWN_KEY


def test_retired_key_still_verifies_when_trusted() -> None:
    retired = Ed25519Signer.generate()
    token = sign_claims(_claims(retired), retired)
    verifiers = {**TRUSTED, retired.key_id: Ed25519Verifier.from_pem(retired.public.pem())}

    assert verify_token(token, verifiers).key_id == retired.key_id


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", RejectionReason.MALFORMED),
        ("hello", RejectionReason.MALFORMED),
        ("C1.!!!.@@@", RejectionReason.MALFORMED),
        ("C1.bm90IGpzb24.AAAA", RejectionReason.MALFORMED),
        ("C9.AAAA.AAAA", RejectionReason.UNSUPPORTED_VERSION),
        ("C1." + "A" * 3000 + ".AA", RejectionReason.MALFORMED),
    ],
)
def test_garbage_is_rejected_with_a_reason(token: str, reason: RejectionReason) -> None:
    assert _reason(token) is reason


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_input_escapes_as_anything_but_a_rejection(text: str) -> None:
    try:
        verify_token(token_from_scan(text), TRUSTED)
    except TokenRejectedError as err:
        assert err.detail


def test_verification_url_carries_the_token() -> None:
    token = sign_claims(_claims(), SIGNER)

    assert token_from_scan(f"https://zw.example.gov.cn/certificates/verify?t={token}") == token
    with pytest.raises(TokenRejectedError):
        token_from_scan("https://zw.example.gov.cn/certificates/verify")

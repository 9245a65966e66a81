"""A kiosk's attestation of one ID-card read, for the case service's applicant sign-in. Pure: no I/O.

The kiosk asks the case service for a fresh nonce (`POST /auth/card-challenge`, with its device token),
then sends the reader's record of the card on the reader now: the 256-byte GA/T 490 text block as the
chip returned it and the SHA-256 of the photo block, MACed with a key only the kiosk and the case service
know — derived from the kiosk's own device credential — over the kiosk's id and the nonce:

    key = HMAC-SHA256(device_secret, "hall-card-attestation-v1:" + device_id)
    mac = HMAC-SHA256(key, "hall-card-read-v1", device_id, nonce, text_block (base64), photo_sha256
                      joined by \\x1f)

The case service reads the person (name, number, validity) from the text block itself, never from
fields a client typed, and accepts each nonce once. A typed or replayed ID number is not a read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

KEY_LABEL = "hall-card-attestation-v1:"
MAC_LABEL = "hall-card-read-v1"


def attestation_key(device_secret: str, device_id: str) -> bytes:
    """The kiosk's attestation key, derived from its own device credential."""
    return hmac.new(device_secret.encode(), (KEY_LABEL + device_id).encode(), hashlib.sha256).digest()


def read_mac(key: bytes, device_id: str, nonce: str, text_block: str, photo_sha256: str) -> str:
    message = "\x1f".join((MAC_LABEL, device_id, nonce, text_block, photo_sha256))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CardRead:
    """What a reader returned for the card on it: the raw text block and the photo block."""

    text_block: bytes
    photo: bytes = b""

    def __repr__(self) -> str:  # the text block holds the name and number in clear
        return f"CardRead({len(self.text_block)} + {len(self.photo)} bytes)"


def attest(read: CardRead, *, device_id: str, device_secret: str, nonce: str) -> dict[str, str]:
    """The body of `POST /auth/applicant-token` for this read."""
    block = base64.b64encode(read.text_block).decode()
    photo = hashlib.sha256(read.photo).hexdigest()
    key = attestation_key(device_secret, device_id)
    return {
        "nonce": nonce,
        "text_block": block,
        "photo_sha256": photo,
        "mac": read_mac(key, device_id, nonce, block, photo),
    }


def mac_matches(key: bytes, device_id: str, body: dict[str, str]) -> bool:
    expected = read_mac(key, device_id, body["nonce"], body["text_block"], body["photo_sha256"])
    return hmac.compare_digest(expected, body["mac"])

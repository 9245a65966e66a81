"""The window's own devices, version 1: the clerk's ID-card reader and document camera (高拍仪).

- ``window_id_reader`` (身份证阅读器 on the counter): events ``card-read`` (`CardReadData`) and
  ``card-refused`` (`CardRefusedData`); no commands of its own.
- ``document_camera`` (高拍仪 on the counter): commands ``capture`` (`CaptureArgs`; result `CaptureTaken`)
  and ``capture-part`` (`PartArgs`; result `CapturePart`); no events.

Both are bound to one window by their description's attributes (``{"window": 3}``, as the queue devices).
A card read carries the holder's name and ID number sealed to the case service (X25519 + AES-256-GCM,
`seal`/`open_read`): no ID number crosses the broker in clear, and the controller, which keeps a read
`READ_KEEP_SECONDS` for the clerk signed in at that window only, cannot read it either. The readers are
configured with the case service's public key (`HALL_DEVICES__WINDOW_READ_KEY`, from `GET
/web/window/read-key`); its private key is derived from the case service's PII key.

A capture's page is a JPEG of at most the asked budget; it stays on the camera (its last
`KEPT_CAPTURES`) and travels in parts of `PART_BYTES` (base64 in each ``capture-part`` completion), so
every payload stays inside the contract's 64 KiB.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Annotated

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import Field, field_validator

from devices.protocol.payloads import Identifier, Payload

WINDOW_ID_READER = "window_id_reader"
DOCUMENT_CAMERA = "document_camera"
CARD_READ_EVENT = "card-read"
CARD_REFUSED_EVENT = "card-refused"
CAPTURE = "capture"
CAPTURE_PART = "capture-part"
WINDOW_ATTRIBUTE = "window"  # the same attribute as the queue's window devices
# A capture with no page in view completes `invalidData` with this message (the clerk lays the page again).
NO_PAGE = "no-page"

READ_KEEP_SECONDS = 120.0
KEPT_CAPTURES = 4
SEAL_INFO = b"hall window card read v1"
# PiiCipher.derive label of the case service's card-read key.
READ_KEY_LABEL = "window-card-read"
PART_BYTES = 44_000  # base64 makes it 58,668 bytes: inside the 65,536 of a payload with its fields
IMAGE_BUDGET = 250_000  # a page's JPEG at 150 dpi, legible and printable
Text = Annotated[str, Field(max_length=200)]


class CardReadData(Payload):
    """A card read and checked by the reader, sealed to the case service (`seal`): the controller and the
    broker carry it but cannot read it."""

    sealed: str = Field(
        min_length=60,
        max_length=4000,
        description="standard base64 (with padding) of ephemeral public key ‖ nonce ‖ AES-GCM ciphertext "
        'and tag; the format: docs/protocol.md, "The window\'s devices"',
    )


class CardHolder(Payload):
    """What a sealed read holds: the card's holder as the chip states it."""

    name: str = Field(min_length=1, max_length=64, description="as on the chip, rare characters included")
    id_number: str = Field(pattern=r"^\d{17}[\dX]$", description="18 characters, GB 11643 (X upper-case)")
    sex: str = Field(default="", max_length=4, description="男, 女, 未知 or 未说明 (GB/T 2261.1)")
    nation: str = Field(default="", max_length=16, description="the ethnic group's name (GB/T 3304), e.g. 汉")
    valid_until: str = Field(
        default="", max_length=10, description="the card's last valid day, YYYY-MM-DD; empty for 长期"
    )

    def __repr__(self) -> str:  # never the number in a log line or a traceback
        return f"CardHolder(id_number={self.id_number[:3]}***********{self.id_number[-4:]})"

    __str__ = __repr__


class SealError(ValueError):
    """A sealed read that does not open: altered, or sealed to another key."""


def _seal_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=SEAL_INFO + ephemeral + recipient
    ).derive(shared)


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def reader_key(secret: bytes) -> X25519PrivateKey:
    """The case service's private key for card reads, from 32 secret bytes (PiiCipher.derive)."""
    return X25519PrivateKey.from_private_bytes(secret)


def public_key_text(private: X25519PrivateKey) -> str:
    """The public half, as the readers are configured with it (HALL_DEVICES__WINDOW_READ_KEY)."""
    return base64.b64encode(_raw(private.public_key())).decode()


def seal(public_key: str, holder: CardHolder) -> CardReadData:
    """The holder sealed to `public_key` (X25519, HKDF-SHA256, AES-256-GCM): only its owner opens it."""
    try:
        recipient = X25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
    except (binascii.Error, ValueError) as err:
        raise SealError("the reader's sealing key is not a base64 X25519 public key") from err
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _seal_key(ephemeral.exchange(recipient), ephemeral_raw, _raw(recipient))
    nonce = os.urandom(12)
    body = AESGCM(key).encrypt(nonce, holder.model_dump_json().encode(), SEAL_INFO)
    return CardReadData(sealed=base64.b64encode(ephemeral_raw + nonce + body).decode())


def open_read(private: X25519PrivateKey, read: CardReadData) -> CardHolder:
    """The holder of a sealed read, or SealError."""
    try:
        raw = base64.b64decode(read.sealed, validate=True)
        ephemeral = X25519PublicKey.from_public_bytes(raw[:32])
        key = _seal_key(private.exchange(ephemeral), raw[:32], _raw(private.public_key()))
        plain = AESGCM(key).decrypt(raw[32:44], raw[44:], SEAL_INFO)
        return CardHolder.model_validate_json(plain)
    except (binascii.Error, ValueError, InvalidTag) as err:
        raise SealError("the card read does not open with this key") from err


class CardRefusedData(Payload):
    """A card that could not be used: `reason` is ``expired``, ``unreadable`` or ``invalid``."""

    reason: str = Field(
        pattern=r"^(expired|unreadable|invalid)$",
        description="expired: past its validity; unreadable: the chip did not answer (lay it again); "
        "invalid: its data fails the checks (GB 11643 check digit, birth date)",
    )
    message: Text = Field(default="", description="for the clerk's page, in Chinese; never the card's number")


class CaptureArgs(Payload):
    dpi: int = Field(default=150, ge=100, le=300, description="the page's resolution, dots per inch")
    budget: int = Field(
        default=IMAGE_BUDGET, ge=20_000, le=1_000_000, description="the page's JPEG at most, bytes"
    )


class CaptureTaken(Payload):
    """The completion's result of ``capture``: the page is kept on the camera as `parts` parts."""

    capture_id: Identifier = Field(description="names the kept capture in capture-part")
    content_type: str = Field(default="image/jpeg", pattern=r"^image/jpeg$")
    size: int = Field(ge=1, le=1_000_000, description="the JPEG's length in bytes: the parts joined")
    parts: int = Field(ge=1, le=64, description=f"ceil(size / {PART_BYTES:,})")
    width: int = Field(ge=1, le=10_000, description="pixels")
    height: int = Field(ge=1, le=10_000, description="pixels")
    blank: bool = Field(default=False, description="the page seems empty (the clerk is asked to check)")


class PartArgs(Payload):
    capture_id: Identifier = Field(description="from the capture's result")
    index: int = Field(ge=0, lt=64, description="0 … parts-1")


class CapturePart(Payload):
    """The completion's result of ``capture-part``: `data` is base64 of at most `PART_BYTES` bytes."""

    capture_id: Identifier
    index: int = Field(ge=0, lt=64)
    data: str = Field(
        max_length=4 * (PART_BYTES // 3 + 1),
        description=f"standard base64 (with padding) of the part's bytes: {PART_BYTES:,} but in the last",
    )

    @field_validator("data")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error as err:
            raise ValueError("not base64") from err
        return value

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.data)


def split(data: bytes) -> list[bytes]:
    """`data` in parts of at most `PART_BYTES` bytes."""
    return [data[start : start + PART_BYTES] for start in range(0, len(data), PART_BYTES)] or [b""]

"""The window's own devices, version 1: the clerk's ID-card reader and document camera (高拍仪).

- ``window_id_reader`` (身份证阅读器 on the counter): events ``card-read`` (`CardReadData`) and
  ``card-refused`` (`CardRefusedData`); no commands of its own.
- ``document_camera`` (高拍仪 on the counter): commands ``capture`` (`CaptureArgs`; result `CaptureTaken`)
  and ``capture-part`` (`PartArgs`; result `CapturePart`); no events.

Both are bound to one window by their description's attributes (``{"window": 3}``, as the queue devices).
A card read carries the holder's name and ID number: the broker's ACL lets only the hall's controller read
a device's events, the controller keeps a read in memory for `READ_KEEP_SECONDS` and gives it only to the
clerk signed in at that window, and no side logs it. A capture's page is a JPEG of at most the asked
budget; it stays on the camera (its last `KEPT_CAPTURES`) and travels in parts of `PART_BYTES` (base64 in
each ``capture-part`` completion), so every payload stays inside the contract's 64 KiB.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

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
PART_BYTES = 44_000  # base64 makes it 58,668 bytes: inside the 65,536 of a payload with its fields
IMAGE_BUDGET = 250_000  # a page's JPEG at 150 dpi, legible and printable
Text = Annotated[str, Field(max_length=200)]


class CardReadData(Payload):
    """A card read and checked by the reader (GB 11643 check character, birth date, validity)."""

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(pattern=r"^\d{17}[\dX]$")
    sex: str = Field(default="", max_length=4)
    nation: str = Field(default="", max_length=16)
    valid_until: str = Field(default="", max_length=10)  # ISO date; empty for 长期

    def __repr__(self) -> str:  # never the number in a log line or a traceback
        return f"CardReadData(id_number={self.id_number[:6]}********{self.id_number[-4:]})"

    __str__ = __repr__


class CardRefusedData(Payload):
    """A card that could not be used: `reason` is ``expired``, ``unreadable`` or ``invalid``."""

    reason: str = Field(pattern=r"^(expired|unreadable|invalid)$")
    message: Text = ""


class CaptureArgs(Payload):
    dpi: int = Field(default=150, ge=100, le=300)
    budget: int = Field(default=IMAGE_BUDGET, ge=20_000, le=1_000_000)  # the page's JPEG at most


class CaptureTaken(Payload):
    """The completion's result of ``capture``: the page is kept on the camera as `parts` parts."""

    capture_id: Identifier
    content_type: str = Field(default="image/jpeg", pattern=r"^image/jpeg$")
    size: int = Field(ge=1, le=1_000_000)
    parts: int = Field(ge=1, le=64)
    width: int = Field(ge=1, le=10_000)
    height: int = Field(ge=1, le=10_000)
    blank: bool = False


class PartArgs(Payload):
    capture_id: Identifier
    index: int = Field(ge=0, lt=64)


class CapturePart(Payload):
    """The completion's result of ``capture-part``: `data` is base64 of at most `PART_BYTES` bytes."""

    capture_id: Identifier
    index: int = Field(ge=0, lt=64)
    data: str = Field(max_length=4 * (PART_BYTES // 3 + 1))

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

"""The project's identity-data application for PC/SC cards ("HALL-ID"), documented in docs/idcard.md.

A card personalised for the hall (or a test card in the emulator) holds, under the DF named by
``IDENTITY_AID``, three transparent EFs: the GA/T 490 text block, the photo block, and the SHA-256 of
text + photo written at issue, so a worn card is told from a good one. Pure: no I/O.
"""

from __future__ import annotations

import hashlib

from devices.idcard.errors import CardDataError

# F0: proprietary, unregistered application provider (ISO 7816-5); then "HALL-ID" and version 1.
IDENTITY_AID = bytes.fromhex("F0") + b"HALL-ID" + b"\x01"
EF_TEXT = 0x0101
EF_PHOTO = 0x0102
EF_DIGEST = 0x0103
FILE_SIZES = {EF_TEXT: 256, EF_PHOTO: 1024, EF_DIGEST: 32}
READ_CHUNK = 128


def digest_of(text: bytes, photo: bytes) -> bytes:
    return hashlib.sha256(text + photo).digest()


def check_digest(text: bytes, photo: bytes, digest: bytes) -> None:
    if digest_of(text, photo) != digest:
        raise CardDataError("the card's data does not match the checksum written at issue: damaged card")

"""The 256-byte text block of the 2nd-generation ID card (GA/T 490 layout), UCS-2 little-endian.

Fields in order, in bytes: name 30, sex 2, nation 4, birth date 16, address 70, ID number 36, issuer 30,
valid from 16, valid until 16 (or 长期), then 36 reserved. Text is padded with spaces. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt

from devices.idcard.errors import CardDataError
from devices.idcard.identity import NATION_CODES, NATIONS, Identity, Sex

TEXT_BLOCK_SIZE = 256
PHOTO_BLOCK_SIZE = 1024
LONG_TERM = "长期"

# (field, size in bytes)
LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuer", 30),
    ("valid_from", 16),
    ("valid_until", 16),
)
_USED = sum(size for _, size in LAYOUT)


def _field_text(field_name: str, raw: bytes) -> str:
    field_name = field_name.replace("_", " ")
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError as err:
        raise CardDataError(f"the card's {field_name} field is not UCS-2 text") from err
    if any(0xD800 <= ord(char) <= 0xDFFF or (ord(char) < 0x20 and char != "\0") for char in text):
        raise CardDataError(f"the card's {field_name} field holds control characters")
    return text.rstrip(" \0")


def _date(field_name: str, text: str) -> dt.date:
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise CardDataError(f"the card's {field_name} is not a date (YYYYMMDD)")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as err:
        raise CardDataError(f"the card's {field_name} is not a real date") from err


def decode_text_block(block: bytes, photo: bytes = b"") -> Identity:
    """The identity held in a text block; CardDataError naming the field that is unreadable.

    Only the layout is checked here; `identity.verify` applies the rules (check digit, expiry).
    """
    if len(block) != TEXT_BLOCK_SIZE:
        raise CardDataError(f"the text block has {len(block)} bytes instead of {TEXT_BLOCK_SIZE}")
    fields: dict[str, str] = {}
    offset = 0
    for field_name, size in LAYOUT:
        fields[field_name] = _field_text(field_name, block[offset : offset + size])
        offset += size
    for field_name in ("name", "address", "id_number", "issuer"):
        if not fields[field_name]:
            raise CardDataError(f"the card's {field_name} field is empty")
    try:
        sex = Sex(fields["sex"])
    except ValueError as err:
        raise CardDataError("the card's sex code is not one of 0, 1, 2, 9") from err
    nation = NATIONS.get(fields["nation"])
    if nation is None:
        raise CardDataError("the card's nation code is not a GB/T 3304 code")
    valid_until_text = fields["valid_until"]
    return Identity(
        name=fields["name"],
        sex=sex,
        nation=nation,
        birth_date=_date("birth date", fields["birth_date"]),
        address=fields["address"],
        id_number=fields["id_number"],
        issuer=fields["issuer"],
        valid_from=_date("valid-from date", fields["valid_from"]),
        valid_until=None if valid_until_text == LONG_TERM else _date("valid-until date", valid_until_text),
        photo=photo,
        text_block=block,
    )


def _encode_field(field_name: str, text: str, size: int) -> bytes:
    raw = text.encode("utf-16-le")
    if len(raw) > size:
        raise ValueError(f"{field_name} is {len(text)} characters, the card holds {size // 2}")
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def encode_text_block(identity: Identity) -> bytes:
    """The text block a card issued for `identity` would hold (used by the card emulators and tests)."""
    values = {
        "name": identity.name,
        "sex": identity.sex.value,
        "nation": NATION_CODES[identity.nation],
        "birth_date": identity.birth_date.strftime("%Y%m%d"),
        "address": identity.address,
        "id_number": identity.id_number,
        "issuer": identity.issuer,
        "valid_from": identity.valid_from.strftime("%Y%m%d"),
        "valid_until": LONG_TERM if identity.valid_until is None else identity.valid_until.strftime("%Y%m%d"),
    }
    block = b"".join(_encode_field(name, values[name], size) for name, size in LAYOUT)
    return block + " ".encode("utf-16-le") * ((TEXT_BLOCK_SIZE - _USED) // 2)

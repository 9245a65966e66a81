"""The cards the emulators present: sample people, expired and damaged cards."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace

from devices.idcard.attestation import CardRead
from devices.idcard.checkdigit import birth_date_of, check_character
from devices.idcard.gat490 import PHOTO_BLOCK_SIZE, encode_text_block
from devices.idcard.identity import NATION_CODES, Identity, Sex
from devices.idcard.identity_app import digest_of
from devices.idcard.social_security import RECORDS, encode_record


def make_id_number(region: str, birth_date: dt.date, sequence: int) -> str:
    first_17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first_17 + check_character(first_17)


def sample_photo(seed: str) -> bytes:
    """1,024 bytes standing in for the WLT-compressed photo (kept as bytes, never decoded)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return (b"WLT\x00" + digest * 32)[:PHOTO_BLOCK_SIZE]


def sample_identity(
    name: str = "张伟",
    *,
    sex: Sex = Sex.MALE,
    nation: str = "汉",
    birth_date: dt.date = dt.date(1990, 3, 7),
    region: str = "330106",
    sequence: int = 123,
    address: str = "浙江省杭州市西湖区文三路 100 号 3 幢 201 室",
    issuer: str = "杭州市公安局西湖分局",
    valid_from: dt.date = dt.date(2020, 5, 1),
    valid_until: dt.date | None = dt.date(2040, 5, 1),
) -> Identity:
    return Identity(
        name=name,
        sex=sex,
        nation=nation,
        birth_date=birth_date,
        address=address,
        id_number=make_id_number(region, birth_date, sequence),
        issuer=issuer,
        valid_from=valid_from,
        valid_until=valid_until,
        photo=sample_photo(name + region + str(sequence)),
    )


def card_read_of(name: str, id_number: str, *, valid_until: dt.date | None = dt.date(2040, 5, 1)) -> CardRead:
    """What a reader returns for a card issued to this person (for kiosks driven without a reader)."""
    identity = replace(
        sample_identity(name, valid_until=valid_until),
        id_number=id_number,
        birth_date=birth_date_of(id_number),
    )
    return CardRead(encode_text_block(identity), sample_photo(id_number))


def expired_identity() -> Identity:
    return sample_identity(
        "李娜",
        sex=Sex.FEMALE,
        sequence=246,
        valid_from=dt.date(2005, 1, 10),
        valid_until=dt.date(2025, 1, 10),
    )


def with_bad_check_digit(identity: Identity) -> Identity:
    wrong = "0" if identity.id_number[-1] != "0" else "1"
    return replace(identity, id_number=identity.id_number[:17] + wrong)


@dataclass(frozen=True)
class SimCard:
    """What a card holds: text block, photo, and the digest written at issue (PC/SC identity app).

    `damaged` cards have bytes worn away in the text after issue, so text and digest disagree.
    """

    text: bytes
    photo: bytes
    issued_digest: bytes
    damaged: bool = False

    @classmethod
    def of(cls, identity: Identity) -> SimCard:
        text = encode_text_block(identity)
        photo = identity.photo or sample_photo(identity.id_number)
        return cls(text, photo, digest_of(text, photo))

    @classmethod
    def damaged_card(cls, identity: Identity | None = None) -> SimCard:
        card = cls.of(identity or sample_identity())
        text = bytearray(card.text)
        # The birth date field (bytes 36..51) worn into unreadable UCS-2 (lone surrogates).
        text[36:52] = b"\x00\xd8" * 8
        return cls(bytes(text), card.photo, card.issued_digest, damaged=True)


def _bcd(day: dt.date) -> bytes:
    return bytes.fromhex(f"{day:%Y%m%d}")


def social_security_records(
    identity: Identity,
    *,
    card_number: str = "A12345678",
    issued_on: dt.date = dt.date(2021, 6, 1),
    valid_until: dt.date = dt.date(2031, 6, 1),
) -> dict[int, bytes]:
    """The TLV records (by record number) of a social-security card issued to `identity`."""
    values = {
        "card_id": b"330100D15600000500" + bytes.fromhex("A1B2C3D4E5F60718"),
        "card_type": b"3",
        "version": b"3.00",
        "issuer_code": b"330100000000",
        "issued_on": _bcd(issued_on),
        "valid_until": _bcd(valid_until),
        "card_number": card_number.encode("ascii"),
        "ssn": identity.id_number.encode("ascii"),
        "name": identity.name.encode("gbk").ljust(30, b"\x00"),
        "sex": identity.sex.value.encode("ascii"),
        "nation": bytes([int(NATION_CODES[identity.nation])]),
        "birthplace": bytes.fromhex(identity.id_number[:6]),
        "birth_date": _bcd(identity.birth_date),
    }
    return {record: encode_record(record, values[field]) for record, (_, field) in RECORDS.items()}

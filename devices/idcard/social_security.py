"""The social-security card application (社会保障卡): SELECT by AID, READ RECORD from EF05 and EF06.

Records are TLV: tag (= the record number), one length byte, value. Text is ASCII, the name GBK
(padded with 00), dates 4-byte BCD YYYYMMDD. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from devices.idcard.checkdigit import validate_id_number
from devices.idcard.errors import CardDataError, CardExpiredError
from devices.idcard.identity import NATIONS, Sex
from hall.privacy import mask_id_number, mask_name

# "sx1.sh.社会保障" with the Chinese in GBK.
SOCIAL_SECURITY_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
EF05 = 5  # card: identification code, type, version, issuer, issue and expiry dates, card number
EF06 = 6  # holder: social-security number, name, sex, nation, birthplace, birth date

# record number -> (short file id, field)
RECORDS: dict[int, tuple[int, str]] = {
    0x01: (EF05, "card_id"),
    0x02: (EF05, "card_type"),
    0x03: (EF05, "version"),
    0x04: (EF05, "issuer_code"),
    0x05: (EF05, "issued_on"),
    0x06: (EF05, "valid_until"),
    0x07: (EF05, "card_number"),
    0x08: (EF06, "ssn"),
    0x09: (EF06, "name"),
    0x0A: (EF06, "sex"),
    0x0B: (EF06, "nation"),
    0x0C: (EF06, "birthplace"),
    0x0D: (EF06, "birth_date"),
}


@dataclass(frozen=True)
class SocialSecurityCard:
    card_number: str
    ssn: str  # 社会保障号码: the holder's citizen ID number
    name: str
    sex: Sex
    nation: str
    birth_date: dt.date
    issuer_code: str
    issued_on: dt.date
    valid_until: dt.date
    version: str

    def __repr__(self) -> str:
        return f"SocialSecurityCard(name={mask_name(self.name)!r}, ssn={mask_id_number(self.ssn)!r})"


def parse_record(record: int, raw: bytes) -> bytes:
    """The value of one TLV record; CardDataError if the tag or length disagree."""
    if len(raw) < 2 or raw[0] != record or raw[1] != len(raw) - 2:
        raise CardDataError(f"social-security record {record:02X} is malformed")
    return raw[2:]


def encode_record(record: int, value: bytes) -> bytes:
    return bytes([record, len(value)]) + value


def _bcd_date(field: str, value: bytes) -> dt.date:
    text = value.hex()
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as err:
        raise CardDataError(f"the social-security card's {field} is not a date") from err


def _ascii(field: str, value: bytes) -> str:
    try:
        return value.rstrip(b"\x00 ").decode("ascii")
    except UnicodeDecodeError as err:
        raise CardDataError(f"the social-security card's {field} is not ASCII") from err


def decode_records(values: dict[str, bytes]) -> SocialSecurityCard:
    """A typed card from record values by field name (see RECORDS)."""
    missing = [field for _, field in RECORDS.values() if field not in values]
    if missing:
        raise CardDataError(f"the social-security card lacks {', '.join(missing)}")
    try:
        name = values["name"].rstrip(b"\x00 ").decode("gbk")
    except UnicodeDecodeError as err:
        raise CardDataError("the social-security card's name is not GBK text") from err
    try:
        sex = Sex(_ascii("sex", values["sex"]))
    except ValueError as err:
        raise CardDataError("the social-security card's sex code is not one of 0, 1, 2, 9") from err
    nation = NATIONS.get(f"{values['nation'][0]:02d}" if values["nation"] else "")
    if nation is None:
        raise CardDataError("the social-security card's nation code is unknown")
    return SocialSecurityCard(
        card_number=_ascii("card number", values["card_number"]),
        ssn=_ascii("social-security number", values["ssn"]),
        name=name,
        sex=sex,
        nation=nation,
        birth_date=_bcd_date("birth date", values["birth_date"]),
        issuer_code=_ascii("issuer code", values["issuer_code"]),
        issued_on=_bcd_date("issue date", values["issued_on"]),
        valid_until=_bcd_date("expiry date", values["valid_until"]),
        version=_ascii("version", values["version"]),
    )


def verify_social_security(card: SocialSecurityCard, today: dt.date) -> SocialSecurityCard:
    validate_id_number(card.ssn)
    if today > card.valid_until:
        raise CardExpiredError(f"the social-security card expired on {card.valid_until.isoformat()}")
    return card

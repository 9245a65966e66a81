"""The typed identity read from a card, whichever reader it came through, and the rules it must pass.

Pure: no I/O. `verify` is the one gate between "a card was read" and "a session may start".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from devices.idcard.checkdigit import birth_date_of, validate_id_number
from devices.idcard.errors import CardDataError, CardExpiredError
from hall.privacy import mask_id_number, mask_name


class Sex(StrEnum):
    """GB/T 2261.1 codes as printed on the card's text block."""

    UNKNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    UNSPECIFIED = "9"

    @property
    def label(self) -> str:
        return {"0": "未知", "1": "男", "2": "女", "9": "未说明"}[self.value]


# GB/T 3304 nationality codes, as stored on the card (two digits).
_NATION_NAMES = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]
NATIONS: dict[str, str] = {f"{number:02d}": name for number, name in enumerate(_NATION_NAMES, start=1)} | {
    "97": "其他",
    "98": "外国血统中国籍人士",
}
NATION_CODES: dict[str, str] = {name: code for code, name in NATIONS.items()}


@dataclass(frozen=True)
class Identity:
    """One person as their card states it. `valid_until` None means 长期 (long-term)."""

    name: str
    sex: Sex
    nation: str
    birth_date: dt.date
    address: str
    id_number: str
    issuer: str
    valid_from: dt.date
    valid_until: dt.date | None
    photo: bytes = field(default=b"", repr=False, compare=False)
    text_block: bytes = field(default=b"", repr=False, compare=False)  # as the chip returned it

    def __repr__(self) -> str:
        # Identities end up in logs and tracebacks: never print the number or the full name.
        return (
            f"Identity(name={mask_name(self.name)!r}, id_number={mask_id_number(self.id_number)!r}, "
            f"valid_until={self.valid_until})"
        )

    __str__ = __repr__

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def verify(identity: Identity, today: dt.date) -> Identity:
    """The identity if a session may start with it; otherwise the specific error.

    Checks the ID number (shape, date, GB 11643 check digit), that the card's birth date agrees with
    the number, and that `today` lies within the card's validity period.
    """
    validate_id_number(identity.id_number)
    if birth_date_of(identity.id_number) != identity.birth_date:
        raise CardDataError("the birth date on the card does not match the ID number")
    if identity.nation not in NATION_CODES:
        raise CardDataError("the card names an unknown nationality")
    if today < identity.valid_from:
        raise CardExpiredError(f"the card is valid only from {identity.valid_from.isoformat()}")
    if identity.valid_until is not None and today > identity.valid_until:
        raise CardExpiredError(f"the card expired on {identity.valid_until.isoformat()}")
    return identity

"""Who applies at the window: checks of what the clerk types, with messages in Chinese for the page.

Pure: no I/O. Resident ID numbers follow GB 11643 (domain.identity), unified social credit codes
GB 32100-2015, telephone numbers the national numbering plan (mobile, landline with area code, +86).
"""

from __future__ import annotations

import datetime as dt
import re

from case_service.domain.errors import InvalidInputError
from case_service.domain.identity import check_character

# GB 32100-2015: 31 characters (no I, O, S, V, Z) and the weights of the first 17 positions.
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EXTENSION = re.compile(r"(.*?)(?:转|-|ext\.?|#)(\d{1,6})", re.IGNORECASE)


def credit_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, 4.3)."""
    total = sum(
        CREDIT_CHARS.index(char) * weight for char, weight in zip(first17, CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CHARS[(31 - total % 31) % 31]


def make_credit_code(first17: str) -> str:
    """For tests and demos: completes 17 characters with the right check character."""
    return first17 + credit_check_character(first17)


def check_credit_code(value: str) -> str:
    """Upper-cased and checked, or InvalidInputError saying in Chinese what is wrong."""
    code = re.sub(r"\s", "", value).upper()
    if len(code) != 18:
        raise InvalidInputError(f"统一社会信用代码应为18位，现为{len(code)}位")
    wrong = sorted({char for char in code if char not in CREDIT_CHARS})
    if wrong:
        raise InvalidInputError(f"统一社会信用代码不能含有字符 {'、'.join(wrong)}（不使用 I、O、S、V、Z）")
    if credit_check_character(code[:17]) != code[17]:
        raise InvalidInputError("统一社会信用代码校验位不符，请核对后重新输入")
    return code


def check_id_number(value: str, today: dt.date) -> str:
    """A resident ID number (GB 11643), upper-cased, or InvalidInputError in Chinese. The birth date must
    be a real day, not after `today` and not before 1900. The message never repeats the number."""
    number = re.sub(r"\s", "", value).upper()
    if len(number) != 18:
        raise InvalidInputError(f"身份证号码应为18位，现为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidInputError("身份证号码前17位应为数字，最后一位为数字或X")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as err:
        raise InvalidInputError("身份证号码中的出生日期不存在") from err
    if born > today or born.year < 1900:
        raise InvalidInputError("身份证号码中的出生日期不可能（晚于今天或早于1900年）")
    if check_character(number[:17]) != number[17]:
        raise InvalidInputError("身份证号码校验位不符，请核对后重新输入")
    return number


def _plain_number(text: str) -> str | None:
    digits = re.sub(r"[\s\-()（）]", "", text)
    international = digits.startswith(("+86", "0086"))
    digits = digits.removeprefix("+86") if digits.startswith("+86") else digits.removeprefix("0086")
    if not digits.isdigit():
        return None
    if _MOBILE.fullmatch(digits):
        return digits
    if international and not digits.startswith("0"):
        digits = "0" + digits  # +86 28 8555 1234: the area code without its trunk 0
    # Area codes: 010 and 020-029 have three digits, the others four (0834 for Xichang).
    area = digits[:3] if digits[1:2] in ("1", "2") else digits[:4]
    local = digits[len(area) :]
    if digits.startswith("0") and 7 <= len(local) <= 8 and local[0] != "0":
        return f"{area}-{local}"
    return None


def normalise_phone(value: str) -> str:
    """A mobile number (11 digits, +86 or 0086 allowed before it) or a landline with its area code
    (0xx-xxxxxxxx, an extension after 转, # or -), in one written form; InvalidInputError in Chinese."""
    text = value.strip()
    number = _plain_number(text)
    if number is not None:
        return number
    parts = _EXTENSION.fullmatch(text)
    if parts:
        number = _plain_number(parts.group(1))
        if number is not None and "-" in number:
            return f"{number}转{parts.group(2)}"
    raise InvalidInputError("电话号码应为11位手机号，或带区号的固定电话（如 028-12345678）")

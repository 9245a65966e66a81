"""The citizen identity number of GB 11643-1999 and its ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
import re

from devices.idcard.errors import InvalidIdNumberError

_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[0-9X]$")


def check_character(first_17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits: sum of digit x 2^(17-i) mod 11, mapped to 1 0 X 9 ... 2."""
    if len(first_17) != 17 or not first_17.isascii() or not first_17.isdigit():
        raise InvalidIdNumberError("an ID number starts with 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first_17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def birth_date_of(id_number: str) -> dt.date:
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(value: str) -> str:
    """The number in canonical form (upper-case X); raises InvalidIdNumberError saying what is wrong."""
    number = value.strip().upper()
    if len(number) != 18:
        raise InvalidIdNumberError(f"an ID number has 18 characters, this one has {len(number)}")
    if not _SHAPE.match(number):
        raise InvalidIdNumberError("an ID number is 17 digits and a check character 0-9 or X")
    try:
        birth_date_of(number)
    except ValueError as err:
        raise InvalidIdNumberError("the birth date inside the ID number is not a real date") from err
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumberError("the ID number's check digit is wrong (GB 11643, ISO 7064 MOD 11-2)")
    return number

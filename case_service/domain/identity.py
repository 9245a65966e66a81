"""Resident identity numbers (GB 11643-1999): 17 digits and a check character."""

from __future__ import annotations

import datetime as dt

from case_service.domain.errors import InvalidInputError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    return _CHECK[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    """Upper-cased and validated, or InvalidInputError saying what is wrong (never echoing the number)."""
    number = value.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidInputError("id_number must be 18 characters: 17 digits and a digit or X")
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as err:
        raise InvalidInputError("id_number holds an impossible birth date") from err
    if check_character(number[:17]) != number[17]:
        raise InvalidInputError("id_number fails its check character (GB 11643)")
    return number


def make_id_number(first17: str) -> str:
    """For tests and demos: completes 17 digits with the right check character."""
    return first17 + check_character(first17)

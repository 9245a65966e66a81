"""What the clerk types for the applicant: ID numbers, credit codes, telephone numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain.applicant import (
    check_credit_code,
    check_id_number,
    credit_check_character,
    make_credit_code,
    normalise_phone,
)
from case_service.domain.errors import InvalidInputError
from case_service.domain.identity import make_id_number

TODAY = dt.date(2026, 12, 7)


def test_published_credit_codes_pass_their_check() -> None:
    # Codes printed on real business licences (public registers).
    for code in ("91350100M000100Y43", "91110000600037341L", "91440300708461136T"):
        assert check_credit_code(code) == code
    assert check_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_a_credit_code_with_a_wrong_check_character_is_refused_in_chinese() -> None:
    with pytest.raises(InvalidInputError, match="校验位不符"):
        check_credit_code("91350100M000100Y44")


def test_credit_code_length_and_forbidden_letters() -> None:
    with pytest.raises(InvalidInputError, match="18位，现为17位"):
        check_credit_code("91350100M000100Y4")
    with pytest.raises(InvalidInputError, match="I、O、S、V、Z"):
        check_credit_code("91350100M000100YO3")


def test_every_check_value_maps_into_the_alphabet() -> None:
    made = {credit_check_character(f"9151340{n:010d}") for n in range(400)}
    assert made <= set("0123456789ABCDEFGHJKLMNPQRTUWXY")
    assert len(made) > 20
    assert check_credit_code(make_credit_code("91513401MA62H0000"))


def test_id_numbers_checked_with_chinese_messages() -> None:
    good = make_id_number("51340119900307123")
    assert check_id_number(good.lower(), TODAY) == good
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(InvalidInputError, match="校验位不符") as caught:
        check_id_number(wrong_check, TODAY)
    assert good[:10] not in caught.value.message
    with pytest.raises(InvalidInputError, match="18位"):
        check_id_number("5134011990030712", TODAY)
    with pytest.raises(InvalidInputError, match="出生日期不存在"):
        check_id_number(make_id_number("51340119900230123"), TODAY)


def test_an_id_number_born_in_2099_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="出生日期不可能"):
        check_id_number(make_id_number("51340120990307123"), TODAY)
    with pytest.raises(InvalidInputError, match="出生日期不可能"):
        check_id_number(make_id_number("51340118890307123"), TODAY)


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        ("028-85551234", "028-85551234"),
        ("(028)85551234", "028-85551234"),
        ("+86 28 8555 1234", "028-85551234"),
        ("010-62345678转123", "010-62345678转123"),
        ("0834-3221234", "0834-3221234"),
        ("08343221234", "0834-3221234"),
    ],
)
def test_mobile_landline_and_plus86_numbers_are_accepted(typed: str, written: str) -> None:
    assert normalise_phone(typed) == written


@pytest.mark.parametrize("typed", ["12345", "1381234567", "138123456789", "23812345678", "电话", "028-0123"])
def test_impossible_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInputError, match="电话号码"):
        normalise_phone(typed)

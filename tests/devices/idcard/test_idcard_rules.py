"""Pure rules: the GB 11643 check digit, the GA/T 490 text block, verification of a read identity."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.idcard.checkdigit import check_character, validate_id_number
from devices.idcard.errors import CardDataError, CardExpiredError, InvalidIdNumberError
from devices.idcard.gat490 import TEXT_BLOCK_SIZE, decode_text_block, encode_text_block
from devices.idcard.identity import NATIONS, Identity, Sex, verify
from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity, with_bad_check_digit

TODAY = dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    "number",
    # Published examples: GB 11643-1999 annex, and numbers whose check character is X.
    ["11010519491231002X", "440524188001010014", "110101199003072316"],
)
def test_known_numbers_pass(number: str) -> None:
    assert validate_id_number(number) == number


def test_lower_case_x_is_canonicalised() -> None:
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "18 characters"),
        ("A10105194912310021", "17 digits"),
        ("110105194902310029", "birth date"),
        ("010105194912310021", "17 digits"),
    ],
)
def test_bad_numbers_say_what_is_wrong(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumberError, match=reason):
        validate_id_number(number)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17).filter(lambda s: s[0] != "0"))
def test_exactly_one_check_character_fits(first_17: str) -> None:
    right = check_character(first_17)
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]  # as printed in GB 11643
    total = sum(int(d) * w for d, w in zip(first_17, weights, strict=True))
    assert right == "10X98765432"[total % 11]
    birth_ok = first_17[:6] + "19900307" + first_17[14:]
    right = check_character(birth_ok)
    assert validate_id_number(birth_ok + right) == birth_ok + right
    for wrong in (c for c in "0123456789X" if c != right):
        with pytest.raises(InvalidIdNumberError, match="check digit"):
            validate_id_number(birth_ok + wrong)


def test_text_block_round_trip_keeps_every_field() -> None:
    person = sample_identity("欧阳娜娜", sex=Sex.FEMALE, nation="维吾尔", valid_until=None)
    block = encode_text_block(person)
    assert len(block) == TEXT_BLOCK_SIZE
    decoded = decode_text_block(block, person.photo)
    assert decoded == person
    assert decoded.valid_until is None
    assert decoded.photo == person.photo


def test_text_block_layout_offsets() -> None:
    person = sample_identity()
    block = encode_text_block(person)
    assert block[0:4].decode("utf-16-le") == "张伟"
    assert block[30:32].decode("utf-16-le") == "1"
    assert block[32:36].decode("utf-16-le") == "01"
    assert block[36:52].decode("utf-16-le") == "19900307"
    assert block[122:158].decode("utf-16-le") == person.id_number
    assert block[188:204].decode("utf-16-le") == "20200501"
    assert block[204:220].decode("utf-16-le") == "20400501"


@given(
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=15),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=35),
    st.sampled_from(sorted(NATIONS.values())),
    st.sampled_from(list(Sex)),
)
def test_any_card_text_round_trips(name: str, address: str, nation: str, sex: Sex) -> None:
    person = replace(sample_identity(), name=name, address=address, nation=nation, sex=sex)
    assert decode_text_block(encode_text_block(person)) == person


def test_damaged_block_names_the_field() -> None:
    with pytest.raises(CardDataError, match="birth date"):
        decode_text_block(SimCard.damaged_card().text)


@pytest.mark.parametrize(
    ("offset", "raw", "reason"),
    [
        (30, "7".encode("utf-16-le"), "sex code"),
        (32, "00".encode("utf-16-le"), "nation code"),
        (204, "2040 13 ".encode("utf-16-le"), "valid-until"),
        (0, b"\x01\x00" * 15, "name"),
    ],
)
def test_garbage_fields_are_refused(offset: int, raw: bytes, reason: str) -> None:
    block = bytearray(encode_text_block(sample_identity()))
    block[offset : offset + len(raw)] = raw
    with pytest.raises(CardDataError, match=reason):
        decode_text_block(bytes(block))


@given(st.binary(min_size=TEXT_BLOCK_SIZE, max_size=TEXT_BLOCK_SIZE))
def test_random_bytes_never_crash(block: bytes) -> None:
    try:
        identity = decode_text_block(block)
    except CardDataError:
        return
    assert isinstance(identity, Identity)


def test_wrong_size_block_is_refused() -> None:
    with pytest.raises(CardDataError, match="255 bytes"):
        decode_text_block(bytes(255))


def test_verify_accepts_a_valid_card() -> None:
    person = sample_identity()
    assert verify(person, TODAY) is person


def test_verify_refuses_expired_and_not_yet_valid_cards() -> None:
    with pytest.raises(CardExpiredError, match="expired on 2025-01-10"):
        verify(expired_identity(), TODAY)
    with pytest.raises(CardExpiredError, match="valid only from"):
        verify(sample_identity(valid_from=dt.date(2027, 1, 1)), TODAY)
    assert verify(sample_identity(valid_until=None), dt.date(2090, 1, 1)).valid_until is None


def test_verify_refuses_bad_check_digit_and_inconsistent_birth_date() -> None:
    with pytest.raises(InvalidIdNumberError, match="check digit"):
        verify(with_bad_check_digit(sample_identity()), TODAY)
    with pytest.raises(CardDataError, match="birth date"):
        verify(replace(sample_identity(), birth_date=dt.date(1991, 3, 7)), TODAY)


def test_repr_masks_personal_data() -> None:
    person = sample_identity()
    text = repr(person) + str(person)
    assert person.id_number not in text
    assert person.name not in text
    assert person.masked_id_number in text

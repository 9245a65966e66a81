"""APDU builders, social-security record decoding and the PC/SC error mapping (no pcscd needed)."""

from __future__ import annotations

import pytest
from smartcard import scard

from devices.idcard import apdu
from devices.idcard.errors import (
    CardDataError,
    CardRemovedError,
    IdCardError,
    ReaderMissingError,
    ReaderServiceError,
)
from devices.idcard.pcsc import pcsc_error
from devices.idcard.social_security import RECORDS, SOCIAL_SECURITY_AID, decode_records, parse_record
from firmware_sim.idcard.cards import sample_identity, social_security_records


def test_command_bytes() -> None:
    assert apdu.select_aid(SOCIAL_SECURITY_AID).hex().upper() == "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00"
    assert apdu.select_file(0x0101) == bytes.fromhex("00A4020C020101")
    assert apdu.read_binary(0x0180, 256) == bytes.fromhex("00B0018000")
    assert apdu.read_record(8, 6) == bytes.fromhex("00B208 3400".replace(" ", ""))
    with pytest.raises(ValueError, match="READ BINARY"):
        apdu.read_binary(0, 257)
    with pytest.raises(ValueError, match="SW1 SW2"):
        apdu.Response.of(b"\x90")


def _values() -> dict[str, bytes]:
    records = social_security_records(sample_identity())
    return {field: parse_record(record, records[record]) for record, (_, field) in RECORDS.items()}


def test_social_security_record_faults() -> None:
    with pytest.raises(CardDataError, match="record 09 is malformed"):
        parse_record(9, b"\x09\x05abc")
    values = _values()
    del values["name"]
    with pytest.raises(CardDataError, match="lacks name"):
        decode_records(values)
    values = _values() | {"birth_date": bytes.fromhex("19901399")}
    with pytest.raises(CardDataError, match="birth date"):
        decode_records(values)
    values = _values() | {"name": b"\xff\xff\xff"}
    with pytest.raises(CardDataError, match="GBK"):
        decode_records(values)
    values = _values() | {"nation": b"\x63"}
    with pytest.raises(CardDataError, match="nation"):
        decode_records(values)


@pytest.mark.parametrize(
    ("result", "error"),
    [
        (scard.SCARD_E_NO_SERVICE, ReaderServiceError),
        (scard.SCARD_E_SERVICE_STOPPED, ReaderServiceError),
        (scard.SCARD_W_REMOVED_CARD, CardRemovedError),
        (scard.SCARD_E_NOT_TRANSACTED, CardRemovedError),
        (scard.SCARD_E_UNKNOWN_READER, ReaderMissingError),
        (scard.SCARD_E_SHARING_VIOLATION, IdCardError),
    ],
)
def test_pcsc_errors_become_specific_errors(result: int, error: type[IdCardError]) -> None:
    converted = pcsc_error("a step", result)
    assert type(converted) is error
    assert "a step" in str(converted)

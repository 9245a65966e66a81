"""The emulated card's command interpreter, without pcscd."""

from __future__ import annotations

from devices.idcard import apdu
from devices.idcard.identity_app import EF_DIGEST, EF_PHOTO, EF_TEXT, IDENTITY_AID, check_digest
from devices.idcard.social_security import RECORDS, SOCIAL_SECURITY_AID, decode_records, parse_record
from firmware_sim.idcard.cards import SimCard, sample_identity, social_security_records
from firmware_sim.idcard.vpcd_card import ATR, VirtualCard


def _run(card: VirtualCard, command: bytes) -> apdu.Response:
    return apdu.Response.of(card.process(command))


def test_atr_is_well_formed() -> None:
    assert ATR[0] == 0x3B
    tck = 0
    for byte in ATR[1:]:
        tck ^= byte
    assert tck == 0  # T=1 is offered, so the check byte makes the XOR of T0..TCK zero
    assert b"HALL-ID" in ATR


def test_identity_files_read_in_chunks_match_the_card() -> None:
    sim = SimCard.of(sample_identity())
    card = VirtualCard(sim)
    assert _run(card, apdu.select_aid(IDENTITY_AID)).ok
    contents = {}
    for file_id, size in ((EF_TEXT, 256), (EF_PHOTO, 1024), (EF_DIGEST, 32)):
        assert _run(card, apdu.select_file(file_id)).ok
        data = b""
        while len(data) < size:
            response = _run(card, apdu.read_binary(len(data), min(100, size - len(data))))
            assert response.ok
            data += response.data
        contents[file_id] = data
        assert _run(card, apdu.read_binary(size, 1)).sw == apdu.SW_WRONG_P1P2
    assert contents[EF_TEXT] == sim.text
    check_digest(contents[EF_TEXT], contents[EF_PHOTO], contents[EF_DIGEST])


def test_refusals() -> None:
    card = VirtualCard(SimCard.of(sample_identity()))
    assert _run(card, apdu.read_binary(0, 16)).sw == apdu.SW_NO_CURRENT_EF
    assert _run(card, apdu.select_file(EF_TEXT)).sw == apdu.SW_FILE_NOT_FOUND  # no application selected
    assert _run(card, apdu.select_aid(SOCIAL_SECURITY_AID)).sw == apdu.SW_FILE_NOT_FOUND
    assert _run(card, b"\x80\xca\x00\x00\x00").sw == apdu.SW_CLA_NOT_SUPPORTED
    assert _run(card, b"\x00\x20\x00\x00\x00").sw == apdu.SW_INS_NOT_SUPPORTED
    assert _run(card, b"\x00").sw == apdu.SW_WRONG_LENGTH
    assert _run(card, apdu.select_aid(IDENTITY_AID)).ok
    assert _run(card, apdu.select_file(0x0999)).sw == apdu.SW_FILE_NOT_FOUND
    assert _run(card, apdu.read_record(1, 5)).sw == apdu.SW_NO_CURRENT_EF


def test_social_security_records_round_trip() -> None:
    person = sample_identity("马云", nation="满")
    card = VirtualCard(social_records=social_security_records(person))
    assert _run(card, apdu.select_aid(SOCIAL_SECURITY_AID)).ok
    values = {}
    for record, (sfi, field) in RECORDS.items():
        response = _run(card, apdu.read_record(record, sfi))
        assert response.ok
        values[field] = parse_record(record, response.data)
    assert _run(card, apdu.read_record(0x08, 5)).sw == apdu.SW_RECORD_NOT_FOUND  # record 08 lives in EF06
    decoded = decode_records(values)
    assert (decoded.name, decoded.ssn, decoded.nation) == ("马云", person.id_number, "满")

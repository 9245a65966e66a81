"""The window's counter devices beneath the journey (tests/case_service/web/test_window_devices.py): the
card-read seal, and the document camera's capture in parts, through their command handlers."""

from __future__ import annotations

import base64

import pytest

from devices.protocol import window as contract
from devices.protocol.device import CommandFailedError
from devices.protocol.payloads import MAX_PAYLOAD_BYTES, Command, CompletionCode, Response
from firmware_sim.window.devices import WindowCounter

HOLDER = contract.CardHolder(name="𠮷田花", id_number="11010519491231002X", valid_until="2040-05-01")


def test_a_sealed_read_opens_only_with_the_case_services_key() -> None:
    mine, other = contract.reader_key(b"k" * 32), contract.reader_key(b"o" * 32)
    sealed = contract.seal(contract.public_key_text(mine), HOLDER)
    assert HOLDER.id_number not in sealed.sealed and "𠮷" not in sealed.sealed
    assert contract.open_read(mine, sealed) == HOLDER
    with pytest.raises(contract.SealError):
        contract.open_read(other, sealed)
    raw = bytearray(base64.b64decode(sealed.sealed))
    raw[-1] ^= 1
    with pytest.raises(contract.SealError):
        contract.open_read(mine, contract.CardReadData(sealed=base64.b64encode(bytes(raw)).decode()))
    with pytest.raises(contract.SealError):
        contract.seal("not a key", HOLDER)
    assert HOLDER.id_number not in repr(HOLDER)


def test_the_camera_sends_a_page_in_parts_that_each_fit_a_payload() -> None:
    key = contract.public_key_text(contract.reader_key(b"k" * 32))
    counter = WindowCounter.build("hall-01", 1, read_key=key, seed=0)
    try:
        camera = counter.camera
        taken = contract.CaptureTaken.model_validate(camera._capture(Command(request_id="c1")).result)
        assert taken.parts > 1 and taken.size <= contract.IMAGE_BUDGET and not taken.blank
        parts = []
        for index in range(taken.parts):
            result = camera._part(
                Command(request_id=f"p{index}", args={"capture_id": taken.capture_id, "index": index})
            ).result
            wire = Response(
                request_id="p", command=contract.CAPTURE_PART, phase="completion", result=result
            ).encode()
            assert len(wire) < MAX_PAYLOAD_BYTES
            parts.append(contract.CapturePart.model_validate(result).raw)
        jpeg = b"".join(parts)
        assert len(jpeg) == taken.size and jpeg.startswith(b"\xff\xd8\xff")
        with pytest.raises(CommandFailedError) as refused:
            camera._part(Command(request_id="x", args={"capture_id": "nope", "index": 0}))
        assert refused.value.code is CompletionCode.INVALID_DATA
    finally:
        counter.card_reader.close()

"""The SAM reader emulator's answers, without a pty."""

from __future__ import annotations

from devices.idcard import sam_frames as frames
from devices.idcard.errors import FrameError
from firmware_sim.idcard.cards import SimCard, sample_identity
from firmware_sim.idcard.sam_emulator import SamLogic


def _status(frame: bytes | None) -> int:
    assert frame is not None
    return frames.Answer.of(frames.payload_of(frame)).status


def test_read_requires_find_and_select() -> None:
    logic = SamLogic()
    logic.card = SimCard.of(sample_identity())
    assert _status(logic.answer(bytes(frames.READ_BASE))) == frames.Status.READ_FAILED
    assert _status(logic.answer(bytes(frames.FIND_CARD))) == frames.Status.CARD_FOUND
    assert _status(logic.answer(bytes(frames.SELECT_CARD))) == frames.Status.OK
    reply = logic.answer(bytes(frames.READ_BASE))
    assert reply is not None
    answer = frames.Answer.of(frames.payload_of(reply))
    assert answer.status == frames.Status.OK
    assert len(answer.data) == 4 + 256 + 1024
    assert len(reply) == 7 + 0x0508


def test_no_card_and_unknown_command_and_garbled_request() -> None:
    logic = SamLogic()
    assert _status(logic.answer(bytes(frames.FIND_CARD))) == frames.Status.FIND_FAILED
    assert _status(logic.answer(b"\x99\x99")) == frames.Status.BAD_COMMAND
    assert _status(logic.answer(FrameError("bad XOR"))) == frames.Status.BAD_CHECKSUM


def test_faults_apply_once() -> None:
    logic = SamLogic()
    logic.faults.corrupt_next_checksum = True
    first = logic.answer(bytes(frames.SAM_STATUS))
    assert first is not None
    try:
        frames.payload_of(first)
        raise AssertionError("a corrupted checksum was accepted")
    except FrameError:
        pass
    assert _status(logic.answer(bytes(frames.SAM_STATUS))) == frames.Status.OK
    logic.faults.mute = True
    assert logic.answer(bytes(frames.SAM_STATUS)) is None

"""SAM frames: encoding, checksum, splitting a noisy stream."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.idcard import sam_frames as frames
from devices.idcard.errors import FrameError


def test_find_card_request_is_the_documented_bytes() -> None:
    assert frames.request(frames.FIND_CARD) == bytes.fromhex("AAAAAA9669 0003 2001 22")
    assert frames.request(frames.SELECT_CARD) == bytes.fromhex("AAAAAA9669 0003 2002 21")
    assert frames.request(frames.READ_BASE) == bytes.fromhex("AAAAAA9669 0003 3001 32")


def test_find_card_answer_decodes() -> None:
    frame = bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97")
    answer = frames.Answer.of(frames.payload_of(frame))
    assert answer.status == frames.Status.CARD_FOUND
    assert answer.data == bytes(4)


@given(st.binary(min_size=3, max_size=1400))
def test_any_payload_round_trips(payload: bytes) -> None:
    assert frames.payload_of(frames.encode_frame(payload)) == payload


@given(st.binary(min_size=3, max_size=64), st.integers(min_value=7, max_value=200), st.integers(1, 255))
def test_any_flipped_byte_after_the_header_is_caught(payload: bytes, where: int, flip: int) -> None:
    frame = bytearray(frames.encode_frame(payload))
    frame[where % (len(frame) - 7) + 7] ^= flip
    with pytest.raises(FrameError, match="XOR"):
        frames.payload_of(bytes(frame))


def test_bad_preamble_and_length_are_refused() -> None:
    good = frames.encode_frame(b"\x00\x00\x90")
    with pytest.raises(FrameError, match="AA AA AA 96 69"):
        frames.payload_of(b"\x00" + good[1:])
    with pytest.raises(FrameError, match="follow the header"):
        frames.payload_of(good + b"\x00")
    with pytest.raises(FrameError, match="out of range"):
        frames.body_length(frames.PREAMBLE + b"\xff\xff")


def test_splitter_skips_noise_and_reports_bad_frames_in_order() -> None:
    first = frames.encode_frame(b"\x20\x01")
    bad = bytearray(frames.encode_frame(b"\x20\x02"))
    bad[-1] ^= 1
    last = frames.encode_frame(b"\x30\x01")
    stream = b"\x00\x13noise" + first + bytes(bad) + b"\xaa" + last
    splitter = frames.FrameSplitter()
    found: list[bytes | FrameError] = []
    for index in range(0, len(stream), 5):  # arrives in small pieces, as on a serial line
        found.extend(splitter.feed(stream[index : index + 5]))
    assert found[0] == b"\x20\x01"
    assert isinstance(found[1], FrameError)
    assert found[2] == b"\x30\x01"
    assert len(found) == 3

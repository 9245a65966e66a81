"""The lock-board wire format: encoding, checksums, and resynchronisation after garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.lockboard import frames


def test_status_request_bytes_match_the_documented_frame() -> None:
    assert frames.status_request(1) == bytes([0x02, 0x01, 0x30, 0x03, (0x02 + 0x01 + 0x30 + 0x03) & 0xFF])


def test_unlock_request_carries_the_lock_number() -> None:
    assert frames.unlock_request(3, 15) == bytes([0x02, 0x03, 0x31, 0x0F, 0x03, 0x48])


@pytest.mark.parametrize("address, lock", [(-1, 0), (0x20, 0), (0, 16), (0, -1)])
def test_out_of_range_arguments_are_refused(address: int, lock: int) -> None:
    with pytest.raises(frames.FrameError):
        frames.unlock_request(address, lock)


def test_status_reply_decodes_both_bitmaps() -> None:
    parser = frames.FrameParser(frames.REPLY_LENGTHS)
    [frame] = parser.feed(frames.status_reply(2, 0b1000_0000_0000_0001, 0b10))
    status = frames.decode_status(frame)
    assert status.address == 2
    assert status.is_open(0) and status.is_open(15) and not status.is_open(1)
    assert status.is_occupied(1) and not status.is_occupied(0)


def test_frames_split_across_reads_are_reassembled() -> None:
    parser = frames.FrameParser(frames.REPLY_LENGTHS)
    data = frames.status_reply(1, 5, 6)
    assert parser.feed(data[:4]) == []
    assert len(parser.feed(data[4:])) == 1


def test_a_corrupted_checksum_is_skipped_and_the_next_frame_found() -> None:
    parser = frames.FrameParser(frames.REPLY_LENGTHS)
    bad = bytearray(frames.status_reply(1, 1, 1))
    bad[-1] ^= 0xFF
    good = frames.unlock_reply(1, 4)
    assert [f.payload for f in parser.feed(bytes(bad) + good)] == [b"\x04"]
    assert parser.skipped == len(bad)


@given(
    garbage=st.binary(max_size=40),
    address=st.integers(0, frames.MAX_ADDRESS),
    open_bits=st.integers(0, 0xFFFF),
    occupied_bits=st.integers(0, 0xFFFF),
)
def test_a_good_frame_after_any_garbage_is_found(
    garbage: bytes, address: int, open_bits: int, occupied_bits: int
) -> None:
    parser = frames.FrameParser(frames.REPLY_LENGTHS)
    reply = frames.status_reply(address, open_bits, occupied_bits)
    found = parser.feed(garbage + reply)
    # Garbage can by chance contain valid frames; the real one must be the last found.
    assert found, "the good frame was lost"
    assert frames.decode_status(found[-1]) == frames.BoardStatus(address, open_bits, occupied_bits)


@given(st.binary(max_size=200))
def test_any_bytes_never_crash_the_parser(data: bytes) -> None:
    parser = frames.FrameParser(frames.REQUEST_LENGTHS)
    for frame in parser.feed(data):
        assert frame.command in frames.REQUEST_LENGTHS

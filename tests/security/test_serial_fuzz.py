"""Fuzzed serial bytes against the lock-board and SAM-reader parsers, through their real bus classes.

Beneath the pty tests of the device packages: here the line is a stub that plays back hypothesis bytes,
so thousands of streams run in seconds. The properties: never an exception other than the package's
own error, and never a state change from garbage (a bank's doors stay as last seen, a reader returns
no identity that was not on the wire).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from devices.idcard import sam_frames
from devices.idcard.checkdigit import validate_id_number
from devices.idcard.errors import IdCardError
from devices.idcard.gat490 import TEXT_BLOCK_SIZE, decode_text_block, encode_text_block
from devices.idcard.identity import verify
from devices.lockboard import frames
from devices.lockboard.bank import EventKind, LockerBank, Slot
from devices.lockboard.board import LockBoardError
from devices.lockboard.serial_bus import SerialLockBus
from firmware_sim.idcard.cards import sample_identity

# The bus waits `timeout` for a reply that garbage never completes: 20 ms keeps a scheduling hiccup on
# a loaded machine from passing for a silent board, and the example counts keep each test to seconds.
LINE_TIMEOUT = 0.02
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_LINE = settings(FUZZ, max_examples=80)


class PlaybackLine:
    """A serial port stub: each request is answered with the next chunk of `replies`, read in pieces."""

    def __init__(self, replies: list[bytes], piece: int = 3) -> None:
        self._replies = list(replies)
        self._pending = b""
        self._piece = piece
        self.written: list[bytes] = []

    @property
    def in_waiting(self) -> int:
        return min(len(self._pending), self._piece)

    def reset_input_buffer(self) -> None:
        self._pending = b""

    def write(self, data: bytes) -> int:
        self.written.append(bytes(data))
        self._pending = self._replies.pop(0) if self._replies else b""
        return len(data)

    def read(self, count: int) -> bytes:
        data, self._pending = self._pending[:count], self._pending[count:]
        return data

    def close(self) -> None:
        self._replies.clear()


def _frames_in(data: bytes) -> list[frames.Frame]:
    return frames.FrameParser(frames.REPLY_LENGTHS).feed(data)


def _bus(replies: list[bytes]) -> SerialLockBus:
    return SerialLockBus("fuzz", timeout=LINE_TIMEOUT, retries=0, connection=PlaybackLine(replies))


# -- lock board ---------------------------------------------------------------------------------------
@pytest.mark.slow  # 9-12 s (--durations on the shared 2-core machine)
@FUZZ_LINE
@given(garbage=st.binary(max_size=120), address=st.integers(0, frames.MAX_ADDRESS))
def test_a_status_read_returns_only_what_a_checked_frame_said(garbage: bytes, address: int) -> None:
    board = _bus([garbage]).board(address)
    on_the_wire = [
        frames.decode_status(f) for f in _frames_in(garbage) if (f.address, f.command) == (address, 0x30)
    ]
    try:
        status = board.status()
    except LockBoardError:
        assert not on_the_wire, "a good reply was on the line and was lost"
        return
    assert status == on_the_wire[0]


@FUZZ_LINE
@given(garbage=st.binary(max_size=120), lock=st.integers(0, 15))
def test_an_unlock_is_confirmed_only_by_its_own_acknowledgement(garbage: bytes, lock: int) -> None:
    acks = [f for f in _frames_in(garbage) if (f.address, f.command) == (1, frames.CMD_UNLOCK)]
    try:
        _bus([garbage]).board(1).unlock(lock)
    except LockBoardError:
        assert not acks or acks[0].payload != bytes([lock])
        return
    assert acks and acks[0].payload == bytes([lock])


def _bank_over(replies: list[bytes]) -> LockerBank:
    bus = _bus(replies)
    slots = [Slot(number, 1, number - 1) for number in range(1, 17)]
    # Offline at the first miss and asked again at every poll: each chunk of noise is one reading here.
    return LockerBank(
        {1: bus.board(1)}, slots, open_timeout=0.01, poll_pause=0.0, offline_after=1, probe_seconds=0.0
    )


@pytest.mark.slow  # 9-12 s (--durations on the shared 2-core machine)
@FUZZ_LINE
@given(
    open_bits=st.integers(0, 0xFFFF),
    occupied_bits=st.integers(0, 0xFFFF),
    noise=st.lists(st.binary(max_size=60), min_size=1, max_size=4),
)
def test_garbage_on_the_line_changes_no_door(open_bits: int, occupied_bits: int, noise: list[bytes]) -> None:
    # Noise holding a real status frame from board 1 is a reading, not garbage.
    assume(not any(f.address == 1 for chunk in noise for f in _frames_in(chunk)))
    baseline = frames.status_reply(1, open_bits, occupied_bits)
    bank = _bank_over([baseline, *noise, baseline])
    assert [event.kind for event in bank.poll()] == [EventKind.BOARD_ONLINE]
    before = bank.snapshot()
    for _ in noise:
        events = bank.poll()
        assert {event.kind for event in events} <= {EventKind.BOARD_OFFLINE}
        assert bank.snapshot() == before
    assert not bank.board_online(1)
    back = bank.poll()
    assert [event.kind for event in back] == [EventKind.BOARD_ONLINE]
    assert bank.snapshot() == before


# -- SAM reader ---------------------------------------------------------------------------------------
def _outcome(items: Sequence[bytes | IdCardError]) -> list[bytes | str]:
    return [item if isinstance(item, bytes) else type(item).__name__ for item in items]


@FUZZ
@given(stream=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=6))
def test_the_frame_splitter_gives_the_same_answer_however_the_bytes_arrive(
    stream: bytes, cuts: list[int]
) -> None:
    whole = sam_frames.FrameSplitter().feed(stream)
    splitter = sam_frames.FrameSplitter()
    pieces: list[bytes | IdCardError] = []
    edges = [0, *sorted(min(cut, len(stream)) for cut in cuts), len(stream)]
    for start, end in itertools.pairwise(edges):
        pieces.extend(splitter.feed(stream[start:end]))
    assert _outcome(pieces) == _outcome(whole)


@FUZZ
@given(noise=st.binary(max_size=80), payload=st.binary(min_size=3, max_size=200))
def test_a_good_frame_after_noise_is_always_found(noise: bytes, payload: bytes) -> None:
    found = sam_frames.FrameSplitter().feed(noise + sam_frames.encode_frame(payload))
    assert found and found[-1] == payload


_CARD = sample_identity()
_BLOCK = encode_text_block(_CARD)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, TEXT_BLOCK_SIZE - 1), st.integers(1, 255)), max_size=8))
def test_a_damaged_text_block_is_a_card_error_or_an_identity_that_still_verifies(
    flips: list[tuple[int, int]],
) -> None:
    block = bytearray(_BLOCK)
    for where, mask in flips:
        block[where] ^= mask
    try:
        identity = verify(decode_text_block(bytes(block)), dt.date(2026, 11, 21))
    except IdCardError:
        return
    # A block that still decodes and verifies carries a number whose check digit holds.
    assert validate_id_number(identity.id_number) == identity.id_number


@FUZZ
@given(block=st.binary(min_size=0, max_size=TEXT_BLOCK_SIZE + 4))
def test_random_text_blocks_never_crash_the_decoder(block: bytes) -> None:
    with contextlib.suppress(IdCardError):
        decode_text_block(block)


@pytest.mark.parametrize("cut", [1, 7, 100, len(_BLOCK) - 1])
def test_a_truncated_text_block_is_refused(cut: int) -> None:
    with pytest.raises(IdCardError):
        decode_text_block(_BLOCK[:cut])

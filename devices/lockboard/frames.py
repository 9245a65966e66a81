"""The lock board's wire format, pure: frames ``02 ADDR CMD [ARG] 03 SUM`` (SUM = byte sum & 0xFF).

Requests (host to board):
    status  ``02 ADDR 30 03 SUM``
    unlock  ``02 ADDR 31 LOCK 03 SUM``            LOCK is 0..15
Replies (board to host):
    status  ``02 ADDR 30 OL OH IL IH 03 SUM``     OL/OH: door-open bitmap, IL/IH: infra-red occupancy bitmap
    unlock  ``02 ADDR 31 LOCK 03 SUM``            the relay pulse was given (not: the door opened)

Every frame kind has a fixed length, so a stream is parsed by length, and a frame whose ETX or SUM does
not check out is skipped one byte at a time until the next good frame (resynchronisation after noise).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STX = 0x02
ETX = 0x03
CMD_STATUS = 0x30
CMD_UNLOCK = 0x31
LOCKS_PER_BOARD = 16
MAX_ADDRESS = 0x1F

# Total frame lengths by command.
REQUEST_LENGTHS: Mapping[int, int] = {CMD_STATUS: 5, CMD_UNLOCK: 6}
REPLY_LENGTHS: Mapping[int, int] = {CMD_STATUS: 9, CMD_UNLOCK: 6}


class FrameError(ValueError):
    """A frame or argument outside the protocol."""


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def _frame(address: int, command: int, payload: bytes) -> bytes:
    if not 0 <= address <= MAX_ADDRESS:
        raise FrameError(f"board address {address} outside 0..{MAX_ADDRESS}")
    body = bytes([STX, address, command, *payload, ETX])
    return body + bytes([checksum(body)])


def _check_lock(lock: int) -> int:
    if not 0 <= lock < LOCKS_PER_BOARD:
        raise FrameError(f"lock {lock} outside 0..{LOCKS_PER_BOARD - 1}")
    return lock


def status_request(address: int) -> bytes:
    return _frame(address, CMD_STATUS, b"")


def unlock_request(address: int, lock: int) -> bytes:
    return _frame(address, CMD_UNLOCK, bytes([_check_lock(lock)]))


def status_reply(address: int, open_bits: int, occupied_bits: int) -> bytes:
    return _frame(address, CMD_STATUS, open_bits.to_bytes(2, "little") + occupied_bits.to_bytes(2, "little"))


def unlock_reply(address: int, lock: int) -> bytes:
    return _frame(address, CMD_UNLOCK, bytes([_check_lock(lock)]))


@dataclass(frozen=True, slots=True)
class Frame:
    address: int
    command: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class BoardStatus:
    """What a board reports: bit n set in `open_bits` = door n open; in `occupied_bits` = IR sees an item."""

    address: int
    open_bits: int
    occupied_bits: int

    def is_open(self, lock: int) -> bool:
        return bool(self.open_bits >> _check_lock(lock) & 1)

    def is_occupied(self, lock: int) -> bool:
        return bool(self.occupied_bits >> _check_lock(lock) & 1)


def decode_status(frame: Frame) -> BoardStatus:
    if frame.command != CMD_STATUS or len(frame.payload) != 4:
        raise FrameError(f"not a status reply: {frame}")
    return BoardStatus(
        frame.address,
        int.from_bytes(frame.payload[:2], "little"),
        int.from_bytes(frame.payload[2:], "little"),
    )


class FrameParser:
    """Incremental parser: feed bytes as they come, take whole checked frames out; garbage is skipped."""

    def __init__(self, lengths: Mapping[int, int]) -> None:
        self._lengths = lengths
        self._buffer = bytearray()
        self.skipped = 0  # bytes discarded while resynchronising

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer.extend(data)
        frames: list[Frame] = []
        while True:
            frame, complete = self._next()
            if frame is not None:
                frames.append(frame)
            elif not complete:
                return frames

    def clear(self) -> None:
        self.skipped += len(self._buffer)
        self._buffer.clear()

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self.skipped += count

    def _next(self) -> tuple[Frame | None, bool]:
        """(frame, True) on a frame; (None, True) after skipping garbage; (None, False) when data is short."""
        start = self._buffer.find(STX)
        if start < 0:
            self._drop(len(self._buffer))
            return None, False
        if start:
            self._drop(start)
        if len(self._buffer) < 3:
            return None, False
        length = self._lengths.get(self._buffer[2])
        if length is None or self._buffer[1] > MAX_ADDRESS:
            self._drop(1)
            return None, True
        if len(self._buffer) < length:
            return None, False
        candidate = bytes(self._buffer[:length])
        if candidate[-2] != ETX or checksum(candidate[:-1]) != candidate[-1]:
            self._drop(1)
            return None, True
        del self._buffer[:length]
        return Frame(candidate[1], candidate[2], candidate[3:-2]), True

"""Frames of the 2nd-generation ID card reader's SAM serial protocol. Pure: no I/O.

A frame is ``AA AA AA 96 69`` + length (2 bytes, big-endian) + payload + XOR checksum, where the length
counts payload and checksum, and the checksum is the XOR of the length bytes and the payload.
Requests carry CMD PARA [DATA]; answers carry SW1 SW2 SW3 [DATA], SW3 being the status below.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from enum import IntEnum

from devices.idcard.errors import FrameError

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_SIZE = len(PREAMBLE) + 2
MAX_LENGTH = 0x0600  # the longest answer (text + photo) is 0x0508


class Command(bytes):
    """CMD PARA of a request."""


FIND_CARD = Command(b"\x20\x01")
SELECT_CARD = Command(b"\x20\x02")
READ_BASE = Command(b"\x30\x01")  # text block + photo block
SAM_STATUS = Command(b"\x11\xff")


class Status(IntEnum):
    """SW3 of an answer, as the public SAM interface specification numbers them."""

    OK = 0x90
    NO_CONTENT = 0x91
    CARD_FOUND = 0x9F
    BAD_CHECKSUM = 0x10
    BAD_LENGTH = 0x11
    BAD_COMMAND = 0x21
    UNAUTHORISED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTHENTICATION_FAILED = 0x31
    READER_AUTHENTICATION_FAILED = 0x32
    DATA_VERIFICATION_FAILED = 0x33
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81


def xor_checksum(data: bytes) -> int:
    return functools.reduce(operator.xor, data, 0)


def encode_frame(payload: bytes) -> bytes:
    length = (len(payload) + 1).to_bytes(2, "big")
    return PREAMBLE + length + payload + bytes([xor_checksum(length + payload)])


def request(command: Command, data: bytes = b"") -> bytes:
    return encode_frame(bytes(command) + data)


@dataclass(frozen=True)
class Answer:
    status: int
    data: bytes

    @classmethod
    def of(cls, payload: bytes) -> Answer:
        if len(payload) < 3:
            raise FrameError(f"an answer frame needs SW1 SW2 SW3, got {len(payload)} bytes")
        return cls(payload[2], payload[3:])


def answer(status: Status, data: bytes = b"") -> bytes:
    return encode_frame(bytes([0, 0, status]) + data)


def body_length(header: bytes) -> int:
    """The length field of a 7-byte header; FrameError if it is not a frame start."""
    if header[: len(PREAMBLE)] != PREAMBLE:
        raise FrameError(f"frame does not start with AA AA AA 96 69: {header.hex(' ')}")
    length = int.from_bytes(header[len(PREAMBLE) : HEADER_SIZE], "big")
    if not 2 <= length <= MAX_LENGTH:
        raise FrameError(f"frame length {length} is out of range")
    return length


def payload_of(frame: bytes) -> bytes:
    """The payload of one whole frame, after checking preamble, length and XOR checksum."""
    if len(frame) < HEADER_SIZE + 2:
        raise FrameError(f"frame of {len(frame)} bytes is too short")
    length = body_length(frame[:HEADER_SIZE])
    if len(frame) != HEADER_SIZE + length:
        raise FrameError(f"frame says {length} bytes follow the header, {len(frame) - HEADER_SIZE} did")
    body = frame[HEADER_SIZE:]
    expected = xor_checksum(frame[len(PREAMBLE) : HEADER_SIZE] + body[:-1])
    if body[-1] != expected:
        raise FrameError(f"frame XOR checksum is {body[-1]:02X}, computed {expected:02X}")
    return body[:-1]


class FrameSplitter:
    """Cuts a byte stream into frame payloads; skips noise before a preamble (used by the emulator)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        self._buffer.extend(data)
        found: list[bytes | FrameError] = []
        while True:
            start = self._buffer.find(PREAMBLE)
            if start < 0:
                del self._buffer[: max(0, len(self._buffer) - len(PREAMBLE) + 1)]
                return found
            del self._buffer[:start]
            if len(self._buffer) < HEADER_SIZE:
                return found
            try:
                length = body_length(bytes(self._buffer[:HEADER_SIZE]))
            except FrameError as err:
                found.append(err)
                del self._buffer[:1]
                continue
            if len(self._buffer) < HEADER_SIZE + length:
                return found
            frame = bytes(self._buffer[: HEADER_SIZE + length])
            del self._buffer[: HEADER_SIZE + length]
            try:
                found.append(payload_of(frame))
            except FrameError as err:
                found.append(err)

"""The real backend: several lock boards on one RS485 line, through pyserial (19200 8N1).

One transaction at a time on the bus (a lock serialises threads). Before each request stale input is
dropped; a reply is read until a frame from the right board and command arrives, skipping garbage and
other boards' frames; on a timeout the line is left to go quiet for another `timeout` (a late reply must
not pass for the next one: the protocol has no sequence numbers), then the request is sent again, up to
`retries` more times.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import serial

from devices.lockboard import frames
from devices.lockboard.board import BoardTimeoutError, LockBoardError
from devices.lockboard.frames import BoardStatus

log = logging.getLogger(__name__)

BAUD_RATE = 19200


class SerialLockBus:
    def __init__(self, port: str, *, timeout: float = 0.15, retries: int = 2, connection: Any = None) -> None:
        self.port = port
        self.timeout = timeout
        self.retries = retries
        self._serial = connection
        self._lock = threading.Lock()
        self._parser = frames.FrameParser(frames.REPLY_LENGTHS)
        self.timeouts = 0

    @property
    def skipped_bytes(self) -> int:
        return self._parser.skipped

    def open(self) -> SerialLockBus:
        if self._serial is None:
            try:
                self._serial = serial.Serial(
                    self.port, BAUD_RATE, bytesize=8, parity="N", stopbits=1, timeout=0.02
                )
            except serial.SerialException as err:
                raise LockBoardError(f"cannot open lock-board port {self.port}: {err}") from err
        return self

    def close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def __enter__(self) -> SerialLockBus:
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def board(self, address: int) -> SerialLockBoard:
        return SerialLockBoard(self, address)

    def transact(self, request: bytes, address: int, command: int) -> frames.Frame:
        with self._lock:
            for attempt in range(self.retries + 1):
                reply = self._exchange(request, address, command)
                if reply is not None:
                    return reply
                self.timeouts += 1
                log.warning("board %d: no answer to 0x%02x (attempt %d)", address, command, attempt + 1)
                # A late answer may still be on its way: let the line go quiet, so that it is dropped
                # with the stale input instead of being taken for the answer to the next request.
                time.sleep(self.timeout)
        raise BoardTimeoutError(f"board {address} on {self.port} did not answer 0x{command:02x}")

    def _exchange(self, request: bytes, address: int, command: int) -> frames.Frame | None:
        connection = self._serial
        if connection is None:
            raise LockBoardError(f"lock-board port {self.port} is not open")
        try:
            connection.reset_input_buffer()
            self._parser.clear()
            connection.write(request)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                data = connection.read(connection.in_waiting or 1)
                for frame in self._parser.feed(data):
                    if frame.address == address and frame.command == command:
                        return frame
        except (serial.SerialException, OSError) as err:
            raise LockBoardError(f"lock-board port {self.port} failed: {err}") from err
        return None


class SerialLockBoard:
    def __init__(self, bus: SerialLockBus, address: int) -> None:
        if not 0 <= address <= frames.MAX_ADDRESS:
            raise frames.FrameError(f"board address {address} outside 0..{frames.MAX_ADDRESS}")
        self._bus = bus
        self._address = address

    @property
    def address(self) -> int:
        return self._address

    def status(self) -> BoardStatus:
        reply = self._bus.transact(frames.status_request(self._address), self._address, frames.CMD_STATUS)
        return frames.decode_status(reply)

    def unlock(self, lock: int) -> None:
        request = frames.unlock_request(self._address, lock)
        reply = self._bus.transact(request, self._address, frames.CMD_UNLOCK)
        if reply.payload != bytes([lock]):
            raise LockBoardError(f"board {self._address} acknowledged lock {reply.payload.hex()}, not {lock}")

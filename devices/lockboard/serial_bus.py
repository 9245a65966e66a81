"""The real backend: several lock boards on one RS485 line, through pyserial (19200 8N1).

One transaction at a time on the line, and commands first: an unlock (and the reads that watch its door
open, see `command_priority`) goes before any waiting poll. Before each request stale input is dropped;
a reply is read until a frame from the right board and command arrives, skipping garbage and other
boards' frames. The wait for a reply is sized from the baud rate: the request's and the reply's time on
the wire plus the board's `turnaround` allowance. After a miss, that board is left quiet for as long
again before it is asked anew (a late reply must not pass for the answer to the next request: the
protocol has no sequence numbers; other boards' replies are told apart by address, so they need not
wait), then the request is repeated, up to `retries` more times. A board that missed all its tries is
*silent*: it gets one try per request, no retries, until it answers again, so a dead board costs the
line one short wait per request (the bank also asks it only rarely, see `LockerBank`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import serial

from devices.lockboard import frames
from devices.lockboard.board import BoardTimeoutError, LockBoardError, in_command
from devices.lockboard.frames import BoardStatus

log = logging.getLogger(__name__)

BAUD_RATE = 19200
BITS_PER_BYTE = 10  # 8N1: start, 8 data, stop
# How long a board may take to start its answer. CU16-style boards answer within a few ms; the rest is
# the USB-RS485 adapter's latency (an FTDI's default latency timer is 16 ms).
DEFAULT_TURNAROUND = 0.05


def wire_seconds(length: int, baud: int = BAUD_RATE) -> float:
    """Time for `length` bytes on the line at `baud`, 8N1."""
    return length * BITS_PER_BYTE / baud


class _LineGate:
    """One transaction at a time; a waiting command goes before any waiting poll."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._busy = False
        self._commands_waiting = 0

    @contextmanager
    def turn(self, command: bool) -> Iterator[None]:
        with self._condition:
            self._commands_waiting += command
            try:
                while self._busy or (not command and self._commands_waiting):
                    self._condition.wait()
            finally:
                self._commands_waiting -= command
            self._busy = True
        try:
            yield
        finally:
            with self._condition:
                self._busy = False
                self._condition.notify_all()


class SerialLockBus:
    def __init__(
        self,
        port: str,
        *,
        turnaround: float = DEFAULT_TURNAROUND,
        retries: int = 2,
        baud: int = BAUD_RATE,
        connection: Any = None,
        timeout: float | None = None,
    ) -> None:
        self.port = port
        # `timeout` is the older name of the turnaround allowance (the wire time is added to it now).
        self.turnaround = turnaround if timeout is None else timeout
        self.retries = retries
        self.baud = baud
        self._serial = connection
        self._gate = _LineGate()
        self._state_lock = threading.Lock()
        self._quiet_until: dict[int, float] = {}
        self._silent: set[int] = set()
        self._parser = frames.FrameParser(frames.REPLY_LENGTHS)
        self.timeouts = 0

    @property
    def skipped_bytes(self) -> int:
        return self._parser.skipped

    def reply_timeout(self, command: int) -> float:
        """How long to wait for the answer to `command`: both frames on the wire plus the turnaround."""
        on_wire = frames.REQUEST_LENGTHS[command] + frames.REPLY_LENGTHS[command]
        return wire_seconds(on_wire, self.baud) + self.turnaround

    def is_silent(self, address: int) -> bool:
        with self._state_lock:
            return address in self._silent

    def open(self) -> SerialLockBus:
        if self._serial is None:
            try:
                self._serial = serial.Serial(
                    self.port, self.baud, bytesize=8, parity="N", stopbits=1, timeout=0.02
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
        urgent = command == frames.CMD_UNLOCK or in_command()
        timeout = self.reply_timeout(command)
        with self._state_lock:
            silent = address in self._silent
        for attempt in range(1 if silent else self.retries + 1):
            self._wait_quiet(address)
            with self._gate.turn(urgent):
                reply = self._exchange(request, address, command, timeout)
            with self._state_lock:
                if reply is not None:
                    self._silent.discard(address)
                    return reply
                self.timeouts += 1
                self._quiet_until[address] = time.monotonic() + timeout
            level = logging.DEBUG if silent else logging.WARNING
            log.log(level, "board %d: no answer to 0x%02x (attempt %d)", address, command, attempt + 1)
        with self._state_lock:
            self._silent.add(address)
        raise BoardTimeoutError(f"board {address} on {self.port} did not answer 0x{command:02x}")

    def _wait_quiet(self, address: int) -> None:
        with self._state_lock:
            remaining = self._quiet_until.get(address, 0.0) - time.monotonic()
        if remaining > 0:
            # Outside the line gate: other boards keep being served meanwhile.
            time.sleep(remaining)

    def _exchange(self, request: bytes, address: int, command: int, timeout: float) -> frames.Frame | None:
        connection = self._serial
        if connection is None:
            raise LockBoardError(f"lock-board port {self.port} is not open")
        try:
            connection.reset_input_buffer()
            self._parser.clear()
            connection.write(request)
            deadline = time.monotonic() + timeout
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

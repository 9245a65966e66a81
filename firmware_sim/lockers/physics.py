"""Door physics and board firmware of one simulated lock board, driven by an injectable clock.

A door is latched until the relay pulse; it springs open shortly after the pulse starts (unless jammed)
and then stays open until a person closes it. A sensor can lie (stuck at a value). Power can drop: the
board stops answering and its relays fall off; at boot every relay is off. The doors themselves are
physical: an open door stays open across a power loss, and a pulse cut before the spring released
leaves the door shut.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from devices.lockboard import frames

Clock = Callable[[], float]


@dataclass
class Door:
    is_open: bool = False
    occupied: bool = False
    jammed: bool = False
    # A lying sensor reports this value instead of the truth (None: the sensor is honest).
    stuck_sensor: bool | None = None
    # When the relay pulse started (None: relay off).
    pulse_started: float | None = None


class BoardFirmware:
    """The firmware of one board: answers protocol frames, and the physical world acts on its doors."""

    def __init__(
        self,
        address: int,
        *,
        locks: int = frames.LOCKS_PER_BOARD,
        pulse_seconds: float = 0.3,
        spring_seconds: float = 0.02,
        clock: Clock = time.monotonic,
    ) -> None:
        self.address = address
        self.doors = [Door() for _ in range(locks)]
        self.pulse_seconds = pulse_seconds
        self.spring_seconds = spring_seconds
        self.powered = True
        self.boots = 1
        self.unlock_pulses = 0
        self._clock = clock
        self._lock = threading.RLock()

    # -- the protocol side -------------------------------------------------------------------------------
    def handle(self, frame: frames.Frame) -> bytes | None:
        """The reply to a request frame, or None: not for this board, unpowered, or a bad argument."""
        with self._lock:
            if frame.address != self.address or not self.powered:
                return None
            self._advance()
            if frame.command == frames.CMD_STATUS:
                return frames.status_reply(self.address, *self._bitmaps())
            if frame.command == frames.CMD_UNLOCK and len(frame.payload) == 1:
                lock = frame.payload[0]
                if lock >= len(self.doors):
                    return None
                self.doors[lock].pulse_started = self._clock()
                self.unlock_pulses += 1
                return frames.unlock_reply(self.address, lock)
            return None

    def _bitmaps(self) -> tuple[int, int]:
        open_bits = occupied_bits = 0
        for index, door in enumerate(self.doors):
            reported_open = door.is_open if door.stuck_sensor is None else door.stuck_sensor
            open_bits |= int(reported_open) << index
            occupied_bits |= int(door.occupied) << index
        return open_bits, occupied_bits

    def _advance(self) -> None:
        now = self._clock()
        for door in self.doors:
            if door.pulse_started is None:
                continue
            elapsed = now - door.pulse_started
            if elapsed >= self.spring_seconds and not door.jammed:
                door.is_open = True
            if elapsed >= self.pulse_seconds:
                door.pulse_started = None

    # -- the physical world ------------------------------------------------------------------------------
    def _door(self, lock: int) -> Door:
        self._advance()
        return self.doors[lock]

    def truly_open(self, lock: int) -> bool:
        with self._lock:
            return self._door(lock).is_open

    def close_door(self, lock: int) -> None:
        """A person pushes the door shut; the latch catches it unless the relay is still pulsing."""
        with self._lock:
            door = self._door(lock)
            if door.pulse_started is None:
                door.is_open = False

    def close_door_when_possible(self, lock: int, timeout: float = 5.0) -> None:
        """A person holds the door until the relay pulse is over, then pushes it shut."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                door = self._door(lock)
                if door.pulse_started is None:
                    door.is_open = False
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"door {lock} of board {self.address}: relay still on after {timeout}s")
            time.sleep(0.01)

    def put_item(self, lock: int) -> None:
        with self._lock:
            door = self._door(lock)
            if not door.is_open:
                raise RuntimeError(f"door {lock} of board {self.address} is shut: nothing can be put in")
            door.occupied = True

    def take_item(self, lock: int) -> None:
        with self._lock:
            door = self._door(lock)
            if not door.is_open:
                raise RuntimeError(f"door {lock} of board {self.address} is shut: nothing can be taken")
            door.occupied = False

    def force_open(self, lock: int) -> None:
        """Someone pries a door open with no unlock command."""
        with self._lock:
            self._door(lock).is_open = True

    def jam(self, lock: int, jammed: bool = True) -> None:
        with self._lock:
            self._door(lock).jammed = jammed

    def lie(self, lock: int, reports_open: bool | None) -> None:
        """Makes the door sensor stuck at `reports_open` (None: honest again)."""
        with self._lock:
            self._door(lock).stuck_sensor = reports_open

    def power_off(self) -> None:
        with self._lock:
            self._advance()
            self.powered = False
            for door in self.doors:
                door.pulse_started = None

    def power_on(self) -> None:
        """Boot: every relay off; doors stay where they physically are."""
        with self._lock:
            for door in self.doors:
                door.pulse_started = None
            self.powered = True
            self.boots += 1

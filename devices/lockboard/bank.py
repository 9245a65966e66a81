"""A locker bank: numbered compartments over one or more lock boards, watched by polling.

It turns board bitmaps into what the hall cares about: a door opened or closed (with occupancy), an
opening nobody asked for, a door left open, a board gone or back. `open` gives the unlock pulse and then
waits to *see* the door open: "unlock sent" is not "door opened".

A board that missed `offline_after` polls in a row is offline and is then only probed once every
`probe_seconds`, so that a dead board costs the shared line little; its first answer brings it back and
its doors are compared with the last reading (changes during the outage are reported then).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from devices.lockboard.board import LockBoard, LockBoardError, command_priority
from devices.lockboard.frames import BoardStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Slot:
    number: int
    board: int
    lock: int
    size: str = "M"


class EventKind(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    UNSOLICITED_OPEN = "unsolicited_open"
    LEFT_OPEN = "door_left_open"
    BOARD_OFFLINE = "board_offline"
    BOARD_ONLINE = "board_online"


class OpenResult(StrEnum):
    OPENED = "opened"
    OPEN_NOT_DETECTED = "OPEN_NOT_DETECTED"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class BankEvent:
    kind: EventKind
    number: int | None = None
    occupied: bool | None = None
    board: int | None = None


@dataclass(slots=True)
class DoorView:
    is_open: bool
    occupied: bool
    open_since: float | None = None
    left_open_alarmed: bool = False
    # Bumped when an unlock's own read saw this door open: a watcher reading taken before that is stale.
    command_mark: int = 0


class LockerBank:
    def __init__(
        self,
        boards: Mapping[int, LockBoard],
        slots: Sequence[Slot],
        *,
        open_timeout: float = 1.0,
        left_open_seconds: float = 120.0,
        poll_pause: float = 0.01,
        offline_after: int = 2,
        probe_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        numbers = [slot.number for slot in slots]
        if len(set(numbers)) != len(numbers):
            raise ValueError("compartment numbers must be unique")
        missing = {slot.board for slot in slots} - set(boards)
        if missing:
            raise ValueError(f"slots refer to boards {sorted(missing)} that are not configured")
        self.boards = dict(boards)
        self.slots = {slot.number: slot for slot in slots}
        self.open_timeout = open_timeout
        self.left_open_seconds = left_open_seconds
        self.poll_pause = poll_pause
        self.offline_after = offline_after
        self.probe_seconds = probe_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._doors: dict[int, DoorView] = {}
        self._online: dict[int, bool] = {}
        self._misses: dict[int, int] = {}
        self._next_probe: dict[int, float] = {}
        self._expected_until: dict[int, float] = {}
        # Doors the watcher saw open while their unlock was awaited (it may have shut again since).
        self._opened_while_expected: set[int] = set()
        self._pending: list[BankEvent] = []

    # -- commands ----------------------------------------------------------------------------------------
    def open(self, number: int) -> OpenResult:
        slot = self.slots.get(number)
        if slot is None:
            raise KeyError(f"no compartment {number}")
        with command_priority():
            return self._open(slot)

    def _open(self, slot: Slot) -> OpenResult:
        number = slot.number
        board = self.boards[slot.board]
        with self._lock:
            self._expected_until[number] = self._clock() + self.open_timeout + 2.0
            self._opened_while_expected.discard(number)
        try:
            board.unlock(slot.lock)
        except LockBoardError as err:
            log.warning("compartment %d: unlock not delivered: %s", number, err)
            self._board_lost(slot.board)
            return OpenResult.UNREACHABLE
        self._board_answered(slot.board)
        deadline = self._clock() + self.open_timeout
        while True:
            try:
                status = board.status()
            except LockBoardError as err:
                log.warning("compartment %d: board lost after unlock: %s", number, err)
                self._board_lost(slot.board)
                return OpenResult.UNREACHABLE
            if status.is_open(slot.lock):
                self._seen_open_by_command(number, status.is_occupied(slot.lock))
                return OpenResult.OPENED
            with self._lock:
                if number in self._opened_while_expected:
                    self._opened_while_expected.discard(number)
                    return OpenResult.OPENED
            if self._clock() >= deadline:
                log.warning("compartment %d: unlock sent, door not seen open", number)
                return OpenResult.OPEN_NOT_DETECTED
            time.sleep(self.poll_pause)

    def _board_lost(self, address: int) -> None:
        with self._lock:
            self._misses[address] = max(self._misses.get(address, 0), self.offline_after)
            self._next_probe[address] = self._clock() + self.probe_seconds
            if self._online.get(address) is not False:
                self._online[address] = False
                self._pending.append(BankEvent(EventKind.BOARD_OFFLINE, board=address))

    def _board_answered(self, address: int) -> None:
        """An unlock got through: the next poll reads the board (and brings it back if it was offline)."""
        with self._lock:
            self._next_probe.pop(address, None)

    def _seen_open_by_command(self, number: int, occupied: bool) -> None:
        with self._lock:
            self._expected_until.pop(number, None)
            view = self._doors.get(number)
            if view is not None:
                view.command_mark += 1
            if view is not None and not view.is_open:
                view.is_open, view.occupied, view.open_since = True, occupied, self._clock()
                view.left_open_alarmed = False
                self._pending.append(BankEvent(EventKind.OPENED, number, occupied))

    # -- watching ----------------------------------------------------------------------------------------
    def poll(self) -> list[BankEvent]:
        """Reads every board once; returns what changed since the last poll."""
        with self._lock:
            marks = {number: view.command_mark for number, view in self._doors.items()}
            due = {a for a in self.boards if self._clock() >= self._next_probe.get(a, float("-inf"))}
        readings: dict[int, BoardStatus | None] = {}
        for address, board in self.boards.items():
            if address not in due:  # offline, not yet time to probe it again
                continue
            try:
                readings[address] = board.status()
            except LockBoardError as err:
                log.debug("board %d unreachable: %s", address, err)
                readings[address] = None
        with self._lock:
            events, self._pending = self._pending, []
            now = self._clock()
            for address, status in readings.items():
                events.extend(self._board_changes(address, status, now, marks))
            return events

    def _board_changes(
        self, address: int, status: BoardStatus | None, now: float, marks: dict[int, int]
    ) -> list[BankEvent]:
        was_online = self._online.get(address)
        if status is None:
            misses = self._misses[address] = self._misses.get(address, 0) + 1
            if misses < self.offline_after and was_online is not None:
                return []  # one miss is not an outage
            self._next_probe[address] = now + self.probe_seconds
            self._online[address] = False
            return [BankEvent(EventKind.BOARD_OFFLINE, board=address)] if was_online is not False else []
        self._misses[address] = 0
        self._next_probe.pop(address, None)
        self._online[address] = True
        events = [] if was_online else [BankEvent(EventKind.BOARD_ONLINE, board=address)]
        for slot in self.slots.values():
            if slot.board == address:
                events.extend(self._door_changes(slot, status, now, marks))
        return events

    def _door_changes(
        self, slot: Slot, status: BoardStatus, now: float, marks: dict[int, int]
    ) -> list[BankEvent]:
        is_open, occupied = status.is_open(slot.lock), status.is_occupied(slot.lock)
        view = self._doors.get(slot.number)
        if view is None:  # first sight: a baseline, not a change
            self._doors[slot.number] = DoorView(is_open, occupied, now if is_open else None)
            return []
        if view.command_mark != marks.get(slot.number, view.command_mark):
            # An unlock saw this door open after our read began: the reading is older than what we
            # know (it would report a bogus "closed", then an "unsolicited" opening). The next poll decides.
            return []
        events: list[BankEvent] = []
        if is_open and not view.is_open:
            expected = self._expected_until.pop(slot.number, 0.0) >= now
            events.append(BankEvent(EventKind.OPENED, slot.number, occupied))
            if expected:
                self._opened_while_expected.add(slot.number)
            else:
                events.append(BankEvent(EventKind.UNSOLICITED_OPEN, slot.number, occupied))
            view.open_since, view.left_open_alarmed = now, False
        elif not is_open and view.is_open:
            events.append(BankEvent(EventKind.CLOSED, slot.number, occupied))
            view.open_since = None
        elif (
            is_open
            and view.open_since is not None
            and not view.left_open_alarmed
            and now - view.open_since >= self.left_open_seconds
        ):
            view.left_open_alarmed = True
            events.append(BankEvent(EventKind.LEFT_OPEN, slot.number, occupied))
        view.is_open, view.occupied = is_open, occupied
        return events

    def snapshot(self) -> dict[int, tuple[bool, bool]]:
        """number → (open, occupied) as last seen."""
        with self._lock:
            return {number: (view.is_open, view.occupied) for number, view in self._doors.items()}

    def board_online(self, address: int) -> bool:
        with self._lock:
            return bool(self._online.get(address))

"""A whole simulated locker bank: boards with physics on a pty, driven by the real serial driver.

Used by the demo gateway, the tests and the benchmark: what runs between the bank and the boards is
exactly what runs with hardware (pyserial on a tty), only the tty is a pseudo-terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.lockboard.bank import LockerBank, Slot
from devices.lockboard.serial_bus import SerialLockBus
from firmware_sim.lockers.physics import BoardFirmware
from firmware_sim.lockers.pty_bus import PtyLockBus

# The demo bank: two boards, eight compartments of mixed sizes.
DEMO_LAYOUT = [
    (1, 0, "S"),
    (1, 1, "S"),
    (1, 2, "M"),
    (1, 3, "M"),
    (1, 4, "L"),
    (2, 0, "M"),
    (2, 1, "L"),
    (2, 2, "XL"),
]


@dataclass
class LockerRig:
    line: PtyLockBus
    serial_bus: SerialLockBus
    bank: LockerBank

    def firmware(self, number: int) -> tuple[BoardFirmware, int]:
        """The simulated board and lock behind compartment `number` (for the physical world's actions)."""
        slot = self.bank.slots[number]
        return self.line.board(slot.board), slot.lock

    def person_puts_item_and_closes(self, number: int) -> None:
        board, lock = self.firmware(number)
        board.put_item(lock)
        board.close_door_when_possible(lock)

    def person_takes_item_and_closes(self, number: int) -> None:
        board, lock = self.firmware(number)
        board.take_item(lock)
        board.close_door_when_possible(lock)

    def stop(self) -> None:
        self.serial_bus.close()
        self.line.stop()


def start_rig(
    layout: list[tuple[int, int, str]] | None = None,
    *,
    pulse_seconds: float = 0.3,
    open_timeout: float = 1.0,
    left_open_seconds: float = 120.0,
    serial_timeout: float = 0.1,
) -> LockerRig:
    layout = layout or DEMO_LAYOUT
    addresses = sorted({board for board, _lock, _size in layout})
    line = PtyLockBus([BoardFirmware(address, pulse_seconds=pulse_seconds) for address in addresses]).start()
    serial_bus = SerialLockBus(line.port, turnaround=serial_timeout, retries=2).open()
    slots = [Slot(number, board, lock, size) for number, (board, lock, size) in enumerate(layout, start=1)]
    bank = LockerBank(
        {address: serial_bus.board(address) for address in addresses},
        slots,
        open_timeout=open_timeout,
        left_open_seconds=left_open_seconds,
    )
    bank.poll()
    return LockerRig(line, serial_bus, bank)

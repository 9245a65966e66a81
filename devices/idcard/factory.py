"""Opens the configured card reader: the PC/SC driver, or the SAM reader on its serial port.

Hardware only: a simulated reader (the same drivers on firmware_sim's emulators) is opened by
firmware_sim/idcard/reader.py, and the entry point (kiosk/wiring.py) chooses which by HALL_DEVICES__BACKEND.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.idcard.config import IdCardSettings
from devices.idcard.reader import CardReader

log = logging.getLogger(__name__)


@dataclass
class OpenedReader:
    """A reader and what closing it takes (a simulated one also stops its emulator)."""

    reader: CardReader
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        self.reader.close()
        for close in self.closers:
            close()


def pcsc_reader(settings: IdCardSettings) -> CardReader:
    from devices.idcard.pcsc import PcscReader

    return PcscReader(settings.pcsc_reader or None)


def sam_reader(settings: IdCardSettings, port: str) -> CardReader:
    from devices.idcard.sam_serial import SamSerialReader

    return SamSerialReader(port, baudrate=settings.baudrate, timeout=settings.timeout_seconds)


def open_card_reader(settings: IdCardSettings) -> OpenedReader:
    """The reader of `settings.interface` on the hall's hardware."""
    if settings.interface == "pcsc":
        return OpenedReader(pcsc_reader(settings))
    return OpenedReader(sam_reader(settings, settings.serial_port))

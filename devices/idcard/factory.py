"""Opens the configured card reader: the real driver, or (backend "sim") the same driver on an emulator.

The simulated reader runs the real backend against firmware_sim's emulators, so the demo and the tests
exercise the driver code that runs on hardware; `OpenedReader.present` puts a card on it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from devices.idcard.config import IdCardSettings
from devices.idcard.reader import CardReader

if TYPE_CHECKING:
    from firmware_sim.idcard.cards import SimCard
    from firmware_sim.idcard.pcscd import IsolatedPcscd
    from firmware_sim.idcard.sam_emulator import SamReaderEmulator

log = logging.getLogger(__name__)


@dataclass
class OpenedReader:
    reader: CardReader
    sam_emulator: SamReaderEmulator | None = None
    pcscd: IsolatedPcscd | None = None
    _folder: Path | None = field(default=None, repr=False)

    def present(self, card: SimCard | None) -> None:
        """Simulated readers only: put `card` on the reader, or take the card away (None)."""
        if self.sam_emulator is not None:
            if card is None:
                self.sam_emulator.remove_card()
            else:
                self.sam_emulator.present(card)
        elif self.pcscd is not None:
            from firmware_sim.idcard.vpcd_card import VirtualCard

            if card is None:
                self.pcscd.remove()
            else:
                self.pcscd.insert(VirtualCard(card))
        else:
            raise RuntimeError("a real card reader cannot be told what card to hold")

    def close(self) -> None:
        self.reader.close()
        if self.sam_emulator is not None:
            self.sam_emulator.stop()
        if self.pcscd is not None:
            self.pcscd.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _pcsc_reader(settings: IdCardSettings) -> CardReader:
    from devices.idcard.pcsc import PcscReader

    return PcscReader(settings.pcsc_reader or None)


def _sam_reader(settings: IdCardSettings, port: str) -> CardReader:
    from devices.idcard.sam_serial import SamSerialReader

    return SamSerialReader(port, baudrate=settings.baudrate, timeout=settings.timeout_seconds)


def open_card_reader(backend: str, settings: IdCardSettings) -> OpenedReader:
    """`backend` is DeviceSettings.backend: "real" or "sim"."""
    if backend == "real":
        if settings.interface == "pcsc":
            return OpenedReader(_pcsc_reader(settings))
        return OpenedReader(_sam_reader(settings, settings.serial_port))
    if backend != "sim":
        raise ValueError(f"unknown device backend {backend!r}")
    if settings.interface == "sam":
        from firmware_sim.idcard.sam_emulator import SamReaderEmulator

        emulator = SamReaderEmulator().start()
        log.info("simulated ID-card reader (SAM) on %s", emulator.port)
        return OpenedReader(_sam_reader(settings, emulator.port), sam_emulator=emulator)
    from firmware_sim.idcard.pcscd import IsolatedPcscd

    folder = Path(tempfile.mkdtemp(prefix="hall-pcscd-"))
    pcscd = IsolatedPcscd(folder)
    # libpcsclite reads this once per process: set it before the first PC/SC call.
    os.environ["PCSCLITE_CSOCK_NAME"] = str(pcscd.socket_path)
    pcscd.start()
    log.info("simulated PC/SC reader %r (pcscd socket %s)", pcscd.reader_name, pcscd.socket_path)
    return OpenedReader(_pcsc_reader(settings), pcscd=pcscd, _folder=folder)

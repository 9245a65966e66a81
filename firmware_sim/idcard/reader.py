"""A simulated ID-card reader: the real driver of devices/idcard on firmware_sim's emulators.

The demo and the tests thereby exercise the driver code that runs on hardware; `present` puts a card on
the reader or takes it away. Chosen by the entry point when HALL_DEVICES__BACKEND=sim.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from devices.idcard.config import IdCardSettings
from devices.idcard.factory import OpenedReader, pcsc_reader, sam_reader
from firmware_sim.idcard.cards import SimCard
from firmware_sim.idcard.pcscd import IsolatedPcscd
from firmware_sim.idcard.sam_emulator import SamReaderEmulator

log = logging.getLogger(__name__)


@dataclass
class SimulatedReader(OpenedReader):
    sam_emulator: SamReaderEmulator | None = field(default=None, kw_only=True)
    pcscd: IsolatedPcscd | None = field(default=None, kw_only=True)

    def present(self, card: SimCard | None) -> None:
        """Put `card` on the reader, or take the card away (None)."""
        if self.sam_emulator is not None:
            if card is None:
                self.sam_emulator.remove_card()
            else:
                self.sam_emulator.present(card)
            return
        assert self.pcscd is not None
        from firmware_sim.idcard.vpcd_card import VirtualCard

        if card is None:
            self.pcscd.remove()
        else:
            self.pcscd.insert(VirtualCard(card))


def open_simulated_card_reader(settings: IdCardSettings) -> SimulatedReader:
    """The reader of `settings.interface`, on an emulated SAM module or an isolated pcscd with vpcd."""
    if settings.interface == "sam":
        emulator = SamReaderEmulator().start()
        log.info("simulated ID-card reader (SAM) on %s", emulator.port)
        return SimulatedReader(sam_reader(settings, emulator.port), [emulator.stop], sam_emulator=emulator)
    folder = Path(tempfile.mkdtemp(prefix="hall-pcscd-"))
    pcscd = IsolatedPcscd(folder)
    # libpcsclite reads this once per process: set it before the first PC/SC call.
    os.environ["PCSCLITE_CSOCK_NAME"] = str(pcscd.socket_path)
    pcscd.start()
    log.info("simulated PC/SC reader %r (pcscd socket %s)", pcscd.reader_name, pcscd.socket_path)
    return SimulatedReader(
        pcsc_reader(settings),
        [pcscd.stop, lambda: shutil.rmtree(folder, ignore_errors=True)],
        pcscd=pcscd,
    )

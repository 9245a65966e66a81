"""In-process simulated card reader, QR scanner, document camera and printer, each with a fault switch:
only for the unit tests (tests/kiosk/harness.py) and tests/reliability/test_card_pulled.py. The kiosk
itself (kiosk/wiring.py) uses the hall simulator's devices (firmware_sim/simulator) or the real ones."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from pathlib import Path

from devices.idcard.attestation import CardRead
from devices.idcard.gat490 import encode_text_block
from firmware_sim.simulator.bench import SAMPLE_PEOPLE, page_image
from kiosk.flow.model import CardRefusal, Device, IdCard
from kiosk.ports import CardRefusedError, DeviceFailureError, PrintDocument, RejectedError

_DEMO_PERSON = SAMPLE_PEOPLE[0].identity  # the demo's adult (firmware_sim's sample people)
# With the chip's record, so the running case service accepts the simulated card as an attested read.
DEMO_CARD = IdCard(
    name=_DEMO_PERSON.name,
    id_number=_DEMO_PERSON.id_number,
    address=_DEMO_PERSON.address,
    read=CardRead(encode_text_block(_DEMO_PERSON)),
)


class SimCardReader:
    """A card lies on the reader between `place` and `take`."""

    def __init__(self) -> None:
        self._card: IdCard | None = None
        self._refusal: CardRefusal | None = None
        self.fault: str | None = None

    def place(self, card: IdCard = DEMO_CARD) -> None:
        self._card, self._refusal = card, None

    def place_refused(self, reason: CardRefusal) -> None:
        """A card that cannot start a session (expired, damaged, pulled mid-read) lies on the reader."""
        self._card, self._refusal = None, reason

    def take(self) -> None:
        self._card, self._refusal = None, None

    def current_card(self) -> IdCard | None:
        if self.fault:
            raise DeviceFailureError(Device.CARD_READER, self.fault)
        if self._refusal is not None:
            raise CardRefusedError(self._refusal)
        return self._card


class SimScanner:
    def __init__(self) -> None:
        self._codes: deque[str] = deque()
        self.fault: str | None = None

    def show(self, text: str) -> None:
        self._codes.append(text)

    def next_code(self) -> str | None:
        if self.fault:
            raise DeviceFailureError(Device.SCANNER, self.fault)
        return self._codes.popleft() if self._codes else None


class SimCamera:
    """Gives a clean page image (the hall simulator's desk page); `problem` makes the next captures fail
    the way a real one can."""

    def __init__(self) -> None:
        self.fault: str | None = None
        self.problem: str | None = None  # capture_unclear / capture_no_page
        self._pages = itertools.count(1)

    def capture_page(self) -> bytes:
        if self.fault:
            raise DeviceFailureError(Device.CAMERA, self.fault)
        if self.problem:
            raise RejectedError(self.problem)
        return page_image(next(self._pages))


class SimPrinter:
    """Writes every printed document to `folder` (when given) and keeps the list of jobs."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self.fault: str | None = None
        self.jobs: list[PrintDocument] = []
        self._lock = threading.Lock()

    def print_document(self, document: PrintDocument) -> str:
        if self.fault:
            raise DeviceFailureError(Device.PRINTER, self.fault)
        with self._lock:
            self.jobs.append(document)
            job = f"sim-{len(self.jobs)}"
        if self._folder is not None:
            self._folder.mkdir(parents=True, exist_ok=True)
            (self._folder / f"{job}.pdf").write_bytes(document.pdf)
        return job

    def problem(self) -> str | None:
        return self.fault

"""Simulated card reader, QR scanner, document camera, printer and hall link, each with a fault switch."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading
from collections import deque
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from devices.idcard.attestation import CardRead
from devices.idcard.gat490 import encode_text_block
from devices.idcard.identity import Identity, Sex
from hall.fonts import cjk_font_path
from kiosk.flow.model import CardRefusal, Device, IdCard, LockerPickup, Service, Ticket
from kiosk.ports import CardRefusedError, DeviceFailureError, PrintDocument, RejectedError

_DEMO_PERSON = Identity(
    name="张三丰",
    sex=Sex.MALE,
    nation="汉",
    birth_date=dt.date(1990, 3, 7),
    address="北京市东城区景山前街4号",
    id_number="110101199003071233",
    issuer="北京市公安局东城分局",
    valid_from=dt.date(2020, 5, 1),
    valid_until=dt.date(2040, 5, 1),
)
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


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


class SimCamera:
    """Gives a clean page image; `problem` makes the next captures fail the way a real one can."""

    def __init__(self) -> None:
        self.fault: str | None = None
        self.problem: str | None = None  # capture_unclear / capture_no_page
        self._pages = itertools.count(1)

    def capture_page(self) -> bytes:
        if self.fault:
            raise DeviceFailureError(Device.CAMERA, self.fault)
        if self.problem:
            raise RejectedError(self.problem)
        number = next(self._pages)
        page = Image.new("L", (620, 877), 255)
        draw = ImageDraw.Draw(page)
        draw.text((60, 60), f"申请材料 · 第 {number} 页", font=_font(36), fill=0)
        for line in range(14):
            y = 150 + line * 44
            draw.line((60, y, 560 - (line % 3) * 60, y), fill=90, width=3)
        buffer = io.BytesIO()
        page.save(buffer, format="PNG")
        return buffer.getvalue()


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


class SimHallLink:
    def __init__(self, *, pickups: dict[str, LockerPickup] | None = None) -> None:
        self._numbers = itertools.count(1)
        self._pickups = dict(pickups or {})
        self.faults: list[tuple[Device, str]] = []
        self.recovered: list[Device] = []
        self.tickets: list[Ticket] = []

    def add_pickup(self, id_number: str, pickup: LockerPickup) -> None:
        self._pickups[id_number] = pickup

    def take_ticket(self, service: Service, id_number: str, priority: str = "ordinary") -> Ticket:
        number = next(self._numbers)
        waiting, minutes = max(0, number - 1) % 7, (number % 7) * 4
        ticket = Ticket(f"A{number:03d}", waiting, minutes, priority)
        self.tickets.append(ticket)
        return ticket

    def open_locker(self, value: str, method: str = "id_card") -> LockerPickup:
        pickup = self._pickups.pop(value, None) if method == "id_card" else None
        if pickup is None and method != "id_card":
            raise RejectedError("locker_wrong_code" if method == "code" else "locker_wrong_qr")
        if pickup is None:
            raise RejectedError("nothing_to_pick_up")
        return pickup

    def report_fault(self, device: Device, reason: str) -> None:
        self.faults.append((device, reason))

    def report_recovered(self, device: Device) -> None:
        self.recovered.append(device)

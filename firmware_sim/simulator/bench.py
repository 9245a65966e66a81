"""The kiosk's simulated devices, outside the kiosk's process: what lies on its ID-card reader, what is held
up to its QR scanner, what lies on its document desk, whether its printer has paper.

The card reader is firmware_sim's SAM module emulator on a pseudo-terminal: the kiosk opens that port with
the real driver (devices/idcard), as it opens /dev/ttyUSB0 on hardware. The desk is a document camera's
view: firmware_sim's desk scenes (a form in perspective among clutter, under uneven light), one scene for
each page laid, the empty desk otherwise; the kiosk reads its frames and finds, flattens and cleans the page
itself (devices/capture), as with the camera on hardware. The scanner, the desk's frames and the paper
tray are read by the kiosk's simulated ports over the simulator's HTTP (kiosk/adapters/simulator.py).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from devices.idcard.identity import Identity, Sex
from firmware_sim.capture.scenes import empty_desk, scene
from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity
from firmware_sim.idcard.sam_emulator import SamReaderEmulator
from hall.fonts import cjk_font_path
from hall.privacy import mask_id_number


@dataclass(frozen=True)
class SamplePerson:
    key: str
    identity: Identity

    @property
    def label(self) -> str:
        """What the simulator page's button says: the name, and the age or that the card has expired."""
        today, identity = dt.date.today(), self.identity
        if identity.valid_until is not None and identity.valid_until < today:
            return f"{identity.name}（证件已过期）"
        born = identity.birth_date
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return f"{identity.name}（{age}岁）"


# The demo's sample people: an adult, an 80-year-old (elder mode and priority), an expired card.
SAMPLE_PEOPLE = (
    SamplePerson("adult", sample_identity()),
    SamplePerson(
        "elder",
        sample_identity(
            "王秀英", sex=Sex.FEMALE, birth_date=dt.date(1945, 4, 2), sequence=208, valid_until=None
        ),
    ),
    SamplePerson("expired", expired_identity()),
)


def named_person(name: str, birth_date: dt.date = dt.date(1990, 3, 7)) -> Identity:
    """A card of someone named by the page (or a test): each name its own ID number."""
    return sample_identity(name, birth_date=birth_date, sequence=100 + sum(map(ord, name)) % 800)


def sample_person(key: str) -> SamplePerson | None:
    return next((person for person in SAMPLE_PEOPLE if person.key == key), None)


@lru_cache(maxsize=2)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


@lru_cache(maxsize=4)
def desk_frame(seed: int, lying: bool) -> bytes:
    """The desk camera's frame (JPEG) of scene `seed`: a page with writing on it laid there, or nothing."""
    image = scene(seed, blank=False).image if lying else empty_desk(seed)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(np.asarray(encoded).tobytes())


def page_image(number: int) -> bytes:
    """A clean A4 page (PNG) as the desk's camera gives it once flattened: a title and lines of text."""
    page = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), f"申请材料 · 第 {number} 页", font=_font(36), fill=0)
    for line in range(14):
        y = 150 + line * 44
        draw.line((60, y, 560 - (line % 3) * 60, y), fill=90, width=3)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()


class KioskBench:
    """The devices of one kiosk; thread-safe (the page's requests come on several threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader = SamReaderEmulator().start()
        self._codes: deque[str] = deque(maxlen=20)
        self._scenes = itertools.count(1)
        self._scene = 0  # the desk scene the camera sees
        self.on_reader = ""  # what the page says lies on the reader (masked)
        self.document = False
        self.paper = True

    @property
    def card_reader_port(self) -> str:
        return self._reader.port

    def place_card(self, card: SimCard, label: str) -> None:
        self._reader.present(card)
        with self._lock:
            self.on_reader = label

    def place_person(self, identity: Identity) -> None:
        self.place_card(SimCard.of(identity), f"{identity.name} {mask_id_number(identity.id_number)}")

    def pull_card(self) -> None:
        self._reader.remove_card()
        with self._lock:
            self.on_reader = ""

    def show_code(self, text: str) -> None:
        """A phone or slip with this QR held up to the scanner (read once)."""
        with self._lock:
            self._codes.append(text)

    def next_code(self) -> str | None:
        with self._lock:
            return self._codes.popleft() if self._codes else None

    def put_document(self, lying: bool) -> None:
        """A page laid on the desk (each one another page, in its own scene), or the desk cleared."""
        with self._lock:
            self.document = lying
            if lying:
                self._scene = next(self._scenes)

    def camera_frame(self) -> bytes:
        """What the desk's camera sees now (JPEG): the page laid there, or the empty desk."""
        with self._lock:
            seed, lying = self._scene, self.document
        return desk_frame(seed, lying)

    def set_paper(self, loaded: bool) -> None:
        with self._lock:
            self.paper = loaded

    def close(self) -> None:
        self._reader.stop()

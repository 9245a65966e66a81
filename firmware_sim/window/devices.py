"""A window's simulated counter: `WindowCounter.build(hall, window)` makes its ID-card reader and document
camera as hall devices; `present(card)` lays a card on the reader (None takes it away)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devices.idcard.config import IdCardSettings
from devices.protocol.window import READ_KEY_LABEL, public_key_text, reader_key
from devices.window.camera import FRAMES_PER_CAPTURE, WindowDocumentCamera
from devices.window.reader import WindowIdReader
from firmware_sim.capture.camera import SimulatedCamera
from firmware_sim.idcard.cards import SimCard
from firmware_sim.idcard.reader import SimulatedReader, open_simulated_card_reader
from hall.errors import StartupError
from hall.privacy import PiiCipher
from hall.settings import Mode, Settings


def reader_id(window: int) -> str:
    return f"window-{window:02d}-idreader"


def camera_id(window: int) -> str:
    return f"window-{window:02d}-doccam"


@dataclass
class WindowCounter:
    reader: WindowIdReader
    camera: WindowDocumentCamera
    card_reader: SimulatedReader

    @classmethod
    def build(
        cls, hall: str, window: int, *, read_key: str, seed: int = 0, heartbeat_seconds: float = 10.0
    ) -> WindowCounter:
        """`read_key`: the case service's public key for card reads (HALL_DEVICES__WINDOW_READ_KEY)."""
        # The SAM serial reader on its emulator: the driver that runs on the counter's hardware.
        opened = open_simulated_card_reader(IdCardSettings(interface="sam", timeout_seconds=2.0))
        reader = WindowIdReader(
            hall,
            reader_id(window),
            window,
            opened.reader,
            read_key=read_key,
            heartbeat_seconds=heartbeat_seconds,
        )
        source = SimulatedCamera(seed, frames_per_page=FRAMES_PER_CAPTURE, size=(1080, 1440))
        camera = WindowDocumentCamera(
            hall, camera_id(window), window, source, heartbeat_seconds=heartbeat_seconds
        )
        return cls(reader, camera, opened)

    @property
    def devices(self) -> list[WindowIdReader | WindowDocumentCamera]:
        return [self.reader, self.camera]

    def start(
        self, url: str, username: str | None = None, password: str | None = None, ca_file: Path | None = None
    ) -> None:
        for device in self.devices:
            device.start(url, username, password, ca_file)

    def present(self, card: SimCard | None) -> None:
        self.card_reader.present(card)

    def stop(self, *, clean: bool = True) -> None:
        for device in self.devices:
            device.stop(clean=clean)
        self.card_reader.close()


def read_key_of(settings: Settings) -> str:
    """The card-read key the settings give, or the one derived from their PII key (the demo holds both)."""
    if settings.devices.window_read_key:
        return settings.devices.window_read_key
    if settings.mode is Mode.PRODUCTION:  # a device process holds no PII key there
        raise StartupError(
            "the window's card readers need HALL_DEVICES__WINDOW_READ_KEY (/web/window/read-key)"
        )
    cipher = PiiCipher.from_config(settings.pii_key.get_secret_value())
    return public_key_text(reader_key(cipher.derive(READ_KEY_LABEL)))

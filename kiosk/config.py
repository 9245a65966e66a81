"""The kiosk's settings section: `HALL_KIOSK__*`."""

from __future__ import annotations

from pydantic import Field

from hall.config_base import DEVICE_ID_PATTERN, Section


class KioskSettings(Section):
    device_id: str = Field(default="kiosk-01", pattern=DEVICE_ID_PATTERN)
    fullscreen: bool = False
    orientation: str = Field(default="landscape", pattern="^(landscape|portrait)$")
    idle_timeout_seconds: float = Field(default=90.0, gt=0)
    countdown_seconds: float = Field(default=20.0, gt=0)
    card_reminder_seconds: float = Field(default=30.0, gt=0)
    # 证照核验 goes back by itself after this long untouched (waiting for a scan, or showing a verdict).
    verify_timeout_seconds: float = Field(default=45.0, gt=0)
    allow_phone_login: bool = True
    by_lockers: bool = True
    # "device": the ID-card reader of devices/idcard (hardware, or its emulator when
    # HALL_DEVICES__BACKEND=sim); "sim": the hall simulator's reader (cards tapped on its page).
    card_reader: str = Field(default="sim", pattern="^(device|sim)$")
    # "controller": announce on MQTT as a device (health issues) and use the controller's queue and
    # lockers; "sim": a simulated hall. Tickets are for `ticket_service`, pickups at `locker_bank`.
    hall_link: str = Field(default="controller", pattern="^(controller|sim)$")
    ticket_service: str = Field(default="business", pattern=DEVICE_ID_PATTERN)
    locker_bank: str = Field(default="locker-bank-01", pattern=DEVICE_ID_PATTERN)
    # "cups": the A4 printer queue `printer_queue` on the CUPS server `cups_host`:`cups_port`; "sim": PDFs
    # written under data_dir/kiosk/<id>/printed while the hall simulator's printer has paper.
    printer: str = Field(default="sim", pattern="^(cups|sim)$")
    printer_queue: str = Field(default="kiosk-a4", pattern=r"^[A-Za-z0-9_-]{1,127}$")
    cups_host: str = "localhost"
    cups_port: int = Field(default=631, ge=1, le=65535)
    # "device": the document camera / QR camera of devices/camera (hardware per HALL_DEVICES__CAMERA__*, or
    # firmware_sim's simulated cameras with HALL_DEVICES__BACKEND=sim) through devices/capture and
    # devices/barcode; "sim": the hall simulator's desk and scanner (pages laid, codes held up on its page).
    camera: str = Field(default="sim", pattern="^(device|sim)$")
    scanner: str = Field(default="sim", pattern="^(device|sim)$")
    # The hall simulator (development: `hall demo` sets it to the page `hall devices` serves): the card
    # reader, scanner, camera and printer left at "sim" are its devices, outside the kiosk's process,
    # worked by a person on its page (firmware_sim/simulator). Empty: the one `hall devices` runs here.
    simulator_url: str = Field(default="", pattern=r"^(http://127\.0\.0\.1:[0-9]{1,5}/?)?$")
    # espeak-ng voice guidance: aloud, or into WAV files under data_dir/kiosk/voice (no sound card).
    voice: str = Field(default="aloud", pattern="^(aloud|wav|off)$")
    # The UI thread must beat within this many seconds, or the watchdog restarts the kiosk process.
    watchdog_seconds: float = Field(default=20.0, ge=2)

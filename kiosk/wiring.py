"""Builds the kiosk from settings: ports (simulated or real), outbox, scratch, runner, watcher, core."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hall.enrolment import broker_login, own_credential
from hall.errors import StartupError
from hall.privacy import PiiCipher
from hall.settings import Settings
from kiosk.core import KioskCore
from kiosk.flow import FlowConfig
from kiosk.flow import events as ev
from kiosk.key_cache import CertificateKeyCache
from kiosk.outbox import Outbox
from kiosk.ports import Camera, CardReader, HallLink, Ports, Printer, Scanner, Voice
from kiosk.runtime import Runner, Watcher
from kiosk.scratch import Scratch
from kiosk.voice import EspeakVoice, SilentVoice

if TYPE_CHECKING:
    from devices.camera.supervised import SupervisedSource
    from devices.idcard.factory import OpenedReader
    from kiosk.adapters.http_case import HttpCaseService
    from kiosk.adapters.simulator import HallSimulator

log = logging.getLogger(__name__)


@dataclass
class Kiosk:
    ports: Ports
    outbox: Outbox
    scratch: Scratch
    core: KioskCore = field(init=False)
    runner: Runner = field(init=False)
    watcher: Watcher = field(init=False)
    config: FlowConfig = field(default_factory=FlowConfig)
    watch_interval: float = 0.2
    service_check_every: float = 5.0
    # The case service's public certificate keys, kept (sealed) for checks while it is away.
    key_cache: CertificateKeyCache | None = None
    _target: Callable[[ev.Event], None] | None = None

    def __post_init__(self) -> None:
        self.runner = Runner(self.ports, self.outbox, self.scratch, self._post, key_cache=self.key_cache)
        self.core = KioskCore(self.config, self.runner)
        self.watcher = Watcher(
            self.ports, self._post, interval=self.watch_interval, service_every=self.service_check_every
        )

    def connect(self, post: Callable[[ev.Event], None]) -> None:
        """Where events from the devices and the runner go (the app schedules them on its thread)."""
        self._target = post

    def _post(self, event: ev.Event) -> None:
        if self._target is not None:
            self._target(event)

    def start(self) -> None:
        wiped = self.scratch.wipe()  # left over by a crash or a power cut: no applicant's page survives
        if wiped:
            log.warning("wiped %d scratch file(s) left from before the start", wiped)
        self.runner.warm_catalogue()
        self.watcher.start()
        if self.outbox.pending():
            self._post(ev.OutboxChanged(len(self.outbox.pending())))

    def stop(self) -> None:
        self.watcher.stop()
        self.runner.shutdown()
        for port in (self.ports.camera, self.ports.scanner):
            close = getattr(port, "close", None)
            if close is not None:
                close()
        device = getattr(self.ports.hall, "device", None)
        if device is not None:
            device.stop()


def flow_config(settings: Settings) -> FlowConfig:
    section = settings.kiosk
    return FlowConfig(
        idle_timeout=section.idle_timeout_seconds,
        countdown=section.countdown_seconds,
        card_reminder_after=section.card_reminder_seconds,
        verify_timeout=section.verify_timeout_seconds,
        allow_phone_login=section.allow_phone_login,
        by_lockers=section.by_lockers,
    )


def kiosk_folder(settings: Settings) -> Path:
    return settings.data_dir / "kiosk" / settings.kiosk.device_id


def storage_cipher(settings: Settings) -> PiiCipher:
    """The kiosk's own key for what it keeps on disk (outbox, certificate keys): random, in a 0600 file
    beside them, made at the first start. The hall's PII key never comes to a kiosk."""
    path = kiosk_folder(settings) / "storage.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return PiiCipher.from_config(f"local:{path.read_text(encoding='ascii').strip()}")


def kiosk_voice(settings: Settings) -> Voice:
    if settings.kiosk.voice == "off":
        return SilentVoice()
    wav = settings.kiosk.voice == "wav"
    return EspeakVoice(wav_folder=kiosk_folder(settings) / "voice" if wav else None)


def simulator_url(settings: Settings) -> str:
    """The hall simulator whose devices the kiosk uses: HALL_KIOSK__SIMULATOR_URL, or the one `hall devices`
    runs on this machine (development)."""
    if settings.kiosk.simulator_url:
        return settings.kiosk.simulator_url
    written = settings.data_dir / "run" / "hall-simulator.url"
    if written.exists():
        return written.read_text(encoding="utf-8").strip()
    raise StartupError(
        "the simulated card reader, scanner, camera and printer are the hall simulator's: run `hall devices`"
        " (or `hall demo`), set HALL_KIOSK__SIMULATOR_URL, or choose the real devices (docs/kiosk.md)"
    )


def ports_for(settings: Settings, *, card_recheck_seconds: float = 1.0) -> Ports:
    """The case service, hall link and devices as configured (docs/kiosk.md, "What is real and what is
    simulated"): a device left at "sim" is the hall simulator's, outside the kiosk's process."""
    section = settings.kiosk
    case_service = http_case_service(settings)
    simulator = None
    if "sim" in (section.card_reader, section.scanner, section.camera, section.printer):
        from kiosk.adapters.simulator import HallSimulator

        simulator = HallSimulator(simulator_url(settings))
    return Ports(
        case_service=case_service,
        card_reader=_card_reader(settings, simulator, card_recheck_seconds),
        scanner=_scanner(settings, simulator),
        camera=_camera(settings, simulator),
        printer=_printer(settings, simulator),
        hall=_hall_link(settings, case_service),
        voice=kiosk_voice(settings),
    )


def http_case_service(settings: Settings) -> HttpCaseService:
    """The running case service at HALL_CASE__PUBLIC_URL (else HALL_CASE__HOST:PORT), as this kiosk's
    enrolled device: always over HTTP, kept offline-safe by the outbox."""
    from kiosk.adapters.http_case import HttpCaseService

    device_id, url = settings.kiosk.device_id, settings.case_service_url
    try:
        secret = own_credential(settings, device_id).secret
    except StartupError as err:
        raise StartupError(f"the kiosk talks to the case service at {url} as {device_id}: {err}") from err
    return HttpCaseService(url, device_id=device_id, secret=secret)


def _card_reader(settings: Settings, simulator: HallSimulator | None, recheck: float) -> CardReader:
    if simulator is None or settings.kiosk.card_reader == "device":
        from kiosk.adapters.idcard import IdCardReader

        return IdCardReader(open_card_reader(settings).reader, recheck_seconds=recheck)
    from kiosk.ports import DeviceFailureError

    try:
        return simulator.card_reader(settings.devices.idcard, recheck_seconds=recheck)
    except DeviceFailureError as err:
        raise StartupError(f"the hall simulator at {simulator.url} does not answer") from err


def _scanner(settings: Settings, simulator: HallSimulator | None) -> Scanner:
    if simulator is None or settings.kiosk.scanner == "device":
        from kiosk.adapters.camera import CameraScanner

        source = open_camera("qr_camera", settings)
        return CameraScanner(source, health=source.health)
    from kiosk.adapters.simulator import SimulatorScanner

    return SimulatorScanner(simulator)


def _camera(settings: Settings, simulator: HallSimulator | None) -> Camera:
    if simulator is None or settings.kiosk.camera == "device":
        from kiosk.adapters.camera import DocumentCamera

        source = open_camera("document_camera", settings)
        return DocumentCamera(source, dpi=settings.devices.camera.dpi, health=source.health)
    from kiosk.adapters.camera import DocumentCamera
    from kiosk.adapters.simulator import SimulatorDesk

    return DocumentCamera(SimulatorDesk(simulator), dpi=settings.devices.camera.dpi)


def _printer(settings: Settings, simulator: HallSimulator | None) -> Printer:
    section = settings.kiosk
    if simulator is None or section.printer == "cups":
        from devices.printing.cups_backend import CupsPrinter
        from kiosk.adapters.printer import DevicePrinter

        return DevicePrinter(
            CupsPrinter(section.printer_queue, host=section.cups_host, port=section.cups_port)
        )
    from kiosk.adapters.simulator import SimulatorPrinter

    return SimulatorPrinter(simulator, kiosk_folder(settings) / "printed")


def _hall_link(settings: Settings, cases: HttpCaseService) -> HallLink:
    section = settings.kiosk
    if section.hall_link == "sim":
        from kiosk.sim.hall_link import SimHallLink

        return SimHallLink()
    from devices.protocol.device import ProtocolDevice
    from kiosk.adapters.hall_link import ControllerLink

    device = ProtocolDevice(
        settings.hall_id,
        section.device_id,
        kind="kiosk",
        model="kiosk-kivy",
        capabilities=["tickets", "pickups", "applications"],
    )
    username, password = broker_login(settings, section.device_id)
    device.start(settings.resolved_mqtt_url, username, password, settings.mqtt_ca_file)
    return ControllerLink(
        device,
        settings.controller_url,
        ticket_service=section.ticket_service,
        locker_bank=section.locker_bank,
        credentials=cases.device_token,
    )


def open_camera(role: str, settings: Settings) -> SupervisedSource:
    """The camera of `role`: the hall's (HALL_DEVICES__BACKEND=real) or firmware_sim's simulated one."""
    from devices.camera.factory import open_camera as open_device_camera

    cameras = settings.devices.camera
    if settings.devices.backend == "sim":
        from firmware_sim.capture.cameras import simulated_camera

        return open_device_camera(role, cameras, simulated=simulated_camera(role, cameras))
    return open_device_camera(role, cameras)


def open_card_reader(settings: Settings) -> OpenedReader:
    """The ID-card reader: the hall's (HALL_DEVICES__BACKEND=real), or its driver on an emulator."""
    if settings.devices.backend == "sim":
        from firmware_sim.idcard.reader import open_simulated_card_reader

        return open_simulated_card_reader(settings.devices.idcard)
    from devices.idcard.factory import open_card_reader as open_device_reader

    return open_device_reader(settings.devices.idcard)


def build_kiosk(
    settings: Settings,
    ports: Ports | None = None,
    *,
    watch_interval: float = 0.2,
    service_check_every: float = 5.0,
) -> Kiosk:
    folder = kiosk_folder(settings)
    cipher = storage_cipher(settings)
    return Kiosk(
        ports=ports or ports_for(settings),
        outbox=Outbox(folder / "outbox", cipher),
        scratch=Scratch(folder / "scratch"),
        key_cache=CertificateKeyCache(folder / "certificate-keys.sealed", cipher),
        config=flow_config(settings),
        watch_interval=watch_interval,
        service_check_every=service_check_every,
    )

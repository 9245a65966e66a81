"""Process entry point: `hall devices` runs the demo hall's simulated devices until stopped.

The demo hall: the main queue display, ticket printer, and for windows 1–2 an LED, a caller keypad, an
evaluator (firmware_sim.queue), an ID-card reader and a document camera (firmware_sim.window), and a
locker bank behind the real lock-board driver and gateway (firmware_sim.lockers), whose doors a page
opens and closes in development mode (firmware_sim.lockers.doors_page); and in development mode the
kiosk's card reader, QR scanner, document desk and printer paper with the hall simulator's page
(firmware_sim.simulator), which the demo's kiosk uses. Each device is its own
MQTT connection with its own last will, speaking only the documented contract.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from hall.enrolment import broker_login
from hall.net import require_broker
from hall.settings import Mode, Settings

log = logging.getLogger(__name__)
DEMO_WINDOWS = [1, 2]


class Startable(Protocol):
    def start(
        self, url: str, username: str | None = None, password: str | None = None, ca_file: Path | None = None
    ) -> None: ...

    def stop(self, *, clean: bool = True) -> None: ...


def login(settings: Settings, device_id: str) -> tuple[str | None, str | None]:
    """Each simulated device signs in with its own enrolled credential (hall.enrolment)."""
    return broker_login(settings, device_id)


def demo_device_ids(settings: Settings) -> list[str]:
    """The ids of the demo hall's simulated devices (each enrolled by `hall demo` before it starts)."""
    from firmware_sim.lockers.main import DEMO_BANK
    from firmware_sim.queue.__main__ import KINDS, build
    from firmware_sim.window.devices import camera_id, reader_id

    counters = [name(window) for window in DEMO_WINDOWS for name in (reader_id, camera_id)]
    queue = [device.device_id for device in build(settings.hall_id, DEMO_WINDOWS, set(KINDS), None, None)]
    return [*queue, DEMO_BANK, *counters]


def demo_devices(settings: Settings) -> tuple[list[tuple[str, Startable]], list[Callable[[], None]]]:
    """(device id, device) pairs of the demo hall, and what to clean up after them."""
    from firmware_sim.lockers.main import demo_gateway
    from firmware_sim.queue.__main__ import KINDS, build
    from firmware_sim.window.devices import WindowCounter, read_key_of

    data = settings.data_dir
    queue_devices = build(settings.hall_id, DEMO_WINDOWS, set(KINDS), data / "sounds", data / "slips")
    devices: list[tuple[str, Startable]] = [(device.device_id, device) for device in queue_devices]
    gateway, rig = demo_gateway(settings)
    devices.append((gateway.device.device_id, gateway))
    cleanups: list[Callable[[], None]] = [rig.stop]
    if settings.mode is Mode.DEVELOPMENT:  # the bank's doors and the kiosk's devices, worked from pages
        from firmware_sim.lockers.doors_page import start_doors_page
        from firmware_sim.simulator.page import start_simulator

        doors = start_doors_page(rig, settings, keypad=gateway.enter)
        cleanups[:0] = [doors.stop, start_simulator(settings, doors=doors).stop]
    for window in DEMO_WINDOWS:  # each window's ID-card reader and document camera
        counter = WindowCounter.build(settings.hall_id, window, read_key=read_key_of(settings), seed=window)
        devices += [(device.device_id, device) for device in counter.devices]
        cleanups.append(counter.card_reader.close)
    return devices, cleanups


def run(settings: Settings) -> None:
    url = settings.resolved_mqtt_url
    username, password = login(settings, demo_device_ids(settings)[0])
    require_broker(url, username=username, password=password, ca_file=settings.mqtt_ca_file)
    devices, cleanups = demo_devices(settings)
    for device_id, device in devices:
        username, password = login(settings, device_id)
        device.start(url, username, password, settings.mqtt_ca_file)
    log.info("%d simulated devices of hall %s running", len(devices), settings.hall_id)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for _device_id, device in devices:
        device.stop()
    for cleanup in cleanups:
        cleanup()

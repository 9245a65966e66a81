"""A simulated hall for the queue's integration tests: a controller (HTTP + MQTT) and the queue's devices.

Time is a `SimClock` the test advances, so a four-hour morning runs in seconds; device commands still
use real time. Clerks act through their caller keypads (MQTT events), kiosks through HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from firmware_sim.queue.devices import CallerKeypad, Evaluator, QueueDisplay, TicketPrinter, WindowLed
from firmware_sim.queue.speech import SilentSpeaker
from hall.calendar import CHINA_TZ
from hall.settings import Settings
from hall_controller.app import create_app
from hall_controller.controller import HallController
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import QueueConfig, demo_config
from hall_controller.queue.extension import QueueExtension
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers, wait_until

MORNING = datetime(2026, 11, 23, 8, 30, tzinfo=CHINA_TZ).timestamp()


class SimClock:
    def __init__(self, start: float = MORNING) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class WindowDevices:
    led: WindowLed
    keypad: CallerKeypad
    evaluator: Evaluator


@dataclass
class SimHall:
    settings: Settings
    clock: SimClock
    config: QueueConfig
    display: QueueDisplay
    printer: TicketPrinter
    windows: dict[int, WindowDevices]
    client: TestClient | None = None
    restarts: int = 0
    _presses: int = field(default=0)

    @property
    def controller(self) -> HallController:
        assert self.client is not None
        controller: HallController = self.client.app.state.controller  # type: ignore[attr-defined]
        return controller

    @property
    def extension(self) -> QueueExtension:
        return next(e for e in self.controller.extensions if isinstance(e, QueueExtension))

    def read(self, action: Any) -> Any:
        return self.extension.service.read(action)

    def book(self) -> QueueBook:
        book: QueueBook = self.extension.service.read(lambda book: book)
        return book

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        assert self.client is not None
        return self.client.request(method, f"/api/v1/ext/queue{path}", **kwargs)

    def press(self, window: int, key: str, **fields: Any) -> None:
        """A keypad key; returns once the controller has applied or refused it."""
        extension = self.extension
        before = extension.events_handled
        self.windows[window].keypad.press(key, **fields)
        assert wait_until(lambda: extension.events_handled > before, timeout=10), f"{key} at {window} unheard"

    def rate(self, window: int, level: int, **dimensions: int) -> str:
        extension = self.extension
        before = extension.events_handled
        rating_id = self.windows[window].evaluator.rate(level, dimensions)
        assert wait_until(lambda: extension.events_handled > before, timeout=10), "rating unheard"
        return rating_id

    def start_controller(self) -> None:
        factory = QueueExtension.factory(config=self.config, clock=self.clock, deliver_ratings=False)
        self.client = TestClient(create_app(self.settings, [factory]))
        # Clerk actions and the manager's follow-ups over HTTP need a staff token.
        self.client.headers.update(staff_headers(self.settings, "desk-1", ("clerk", "manager")))
        self.client.__enter__()
        assert self.controller.link.connected.wait(15)
        devices = [self.display, self.printer] + [
            d for w in self.windows.values() for d in (w.led, w.keypad, w.evaluator)
        ]
        ids = [device.device_id for device in devices]
        assert wait_until(
            lambda: all(
                (r := self.controller.registry.get(i)) is not None
                and r.availability.value == "online"
                and r.description is not None  # a retained status may arrive before the description
                for i in ids
            ),
            timeout=20,
        ), "devices did not announce to the controller"

    def stop_controller(self) -> None:
        if self.client is not None:
            self.client.__exit__(None, None, None)
            self.client = None

    def restart_controller(self) -> None:
        self.stop_controller()
        self.restarts += 1
        self.start_controller()


@contextmanager
def sim_hall(broker_url: str, data_dir: Path, config: QueueConfig | None = None) -> Iterator[SimHall]:
    hall = new_hall_id()
    config = config or demo_config()
    settings = controller_settings(broker_url, data_dir, hall, controller={"port": 8100})
    display = QueueDisplay(hall, "main-display", SilentSpeaker())
    printer = TicketPrinter(hall, "ticket-printer-01", paper=10_000)
    windows = {
        w.number: WindowDevices(
            WindowLed(hall, f"window-{w.number:02d}-led", w.number),
            CallerKeypad(hall, f"window-{w.number:02d}-keypad", w.number),
            Evaluator(hall, f"window-{w.number:02d}-evaluator", w.number),
        )
        for w in config.windows
    }
    devices = [display, printer] + [d for w in windows.values() for d in (w.led, w.keypad, w.evaluator)]
    simulated = SimHall(settings, SimClock(), config, display, printer, windows)
    try:
        for device in devices:
            device.start(broker_url)
        assert all(device.connected.wait(15) for device in devices)
        simulated.start_controller()
        yield simulated
    finally:
        simulated.stop_controller()
        for device in devices:
            device.stop()


def settle(seconds: float = 0.05) -> None:
    time.sleep(seconds)

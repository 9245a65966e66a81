"""The controller is killed (SIGKILL, `hall controller` as in production, over Mosquitto) in the middle of
a burst of calls from six keypads, three times at different moments: every call the main display showed
is in the journal on disk right after the kill, and after the restart the display is shown the journal's
state again (the latest call as the journal has it).

The journal's commit comes before the display is marked (hall_controller/queue/service.py), and a commit
is in the WAL file before `append` returns, so a killed process loses none (docs/adr/0009).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.protocol.queue import DisplayShow
from firmware_sim.queue.devices import CallerKeypad, QueueDisplay
from firmware_sim.queue.speech import SilentSpeaker
from hall.net import free_port
from hall.settings import Settings
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import new_hall_id, staff_token, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WINDOWS = range(1, 7)
SERVICES = ("business", "social", "permits")
KILL_AFTER_SHOWN = (3, 9, 16)  # kill once the display showed this many more calls: three moments


def journal_calls(database: Path) -> list[str]:
    """The numbers called (and recalled), in order, in the controller's journal as it is on disk."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT body FROM documents WHERE collection LIKE 'queue.journal.%' ORDER BY collection, key"
        ).fetchall()
    finally:
        connection.close()
    events = [json.loads(body) for (body,) in rows]
    return [event["number"] for event in events if event["type"] in ("called", "recalled")]


class Shown:
    """Every number the display showed as called (latest and recent lines), in the test's process."""

    def __init__(self) -> None:
        self.numbers: set[str] = set()
        self.latest: str | None = None
        self._lock = threading.Lock()

    def __call__(self, show: DisplayShow) -> None:
        with self._lock:
            self.numbers.update(line.number for line in show.recent)
            self.latest = show.latest.number if show.latest is not None else None

    def count(self) -> int:
        with self._lock:
            return len(self.numbers)


def press_burst(keypads: list[CallerKeypad], stop: threading.Event) -> None:
    """Clerks at six windows calling and finishing as fast as the keypads send."""
    while not stop.is_set():
        for keypad in keypads:
            keypad.press("finish", outcome="办结")
            keypad.press("next")
        time.sleep(0.01)


def test_every_call_the_display_showed_survives_a_sigkill(
    mosquitto: Broker, start_hall_process: Any, tmp_path: Path
) -> None:
    hall, port = new_hall_id(), str(free_port())
    values = {"mqtt_url": mosquitto.url, "hall_id": hall, "controller__port": port}
    controller = start_hall_process("controller", **values)
    database = Path(controller.env["HALL_DATA_DIR"]) / f"controller-{hall}.db"
    clerk = {"Authorization": f"Bearer {staff_token(Settings(), 'clerk-1', ('clerk',))}"}
    with httpx.Client(base_url=str(controller.url), timeout=10) as http:
        for index in range(150):
            body = {"service": SERVICES[index % 3], "source": "window", "print_slip": False}
            answer = http.post("/api/v1/ext/queue/tickets", json=body, headers=clerk)
            assert answer.status_code == 201, answer.text

    shown = Shown()
    display = QueueDisplay(hall, "main-display", SilentSpeaker())
    display.on_shown = shown
    keypads = [CallerKeypad(hall, f"window-{window:02d}-keypad", window) for window in WINDOWS]
    for device in (display, *keypads):
        device.start(mosquitto.url)
    try:

        def all_online() -> bool:
            answer = httpx.get(f"{controller.url}/api/v1/devices", timeout=5)
            online = {row["device_id"] for row in answer.json() if row["availability"] == "online"}
            return {device.device_id for device in (display, *keypads)} <= online

        assert wait_until(all_online, timeout=20)
        for window, keypad in zip(WINDOWS, keypads, strict=True):
            keypad.press("sign-in", clerk=f"clerk-{window}")

        for round_number, calls in enumerate(KILL_AFTER_SHOWN):
            target = shown.count() + calls
            stop = threading.Event()
            burst = threading.Thread(target=press_burst, args=(keypads, stop), daemon=True)
            burst.start()
            try:
                assert wait_until(lambda: shown.count() >= target, timeout=20, interval=0.001)  # noqa: B023
                controller.process.kill()  # SIGKILL, mid-burst
            finally:
                stop.set()
                burst.join(5)

            on_disk = journal_calls(database)
            lost = shown.numbers - set(on_disk)
            assert not lost, f"round {round_number}: shown but not journaled: {sorted(lost)}"

            shown.latest = None  # what the display shows from now on comes from the restarted controller
            controller = start_hall_process("controller", **values)
            assert wait_until(all_online, timeout=30)
            # The display is shown the journal's state again: its latest call is the journal's.
            assert wait_until(lambda: shown.latest == journal_calls(database)[-1], timeout=20)
            print(f"round {round_number}: {len(on_disk)} calls journaled, {len(shown.numbers)} shown")
    finally:
        for device in (display, *keypads):
            device.stop()

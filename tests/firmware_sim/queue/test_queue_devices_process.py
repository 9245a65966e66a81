"""The simulated queue devices as their own process (`python -m firmware_sim.queue`), over Mosquitto: they
announce to a controller, the display speaks a call with espeak-ng, and a clean stop says offline."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices.protocol import topics
from devices.protocol.payloads import Phase, Response, decode
from hall_controller.queue.events import Source
from hall_controller.queue.extension import QueueExtension
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker, connect
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_devices_process_announces_speaks_and_leaves(mosquitto: Broker, tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    hall = new_hall_id()
    sounds = tmp_path / "sounds"
    settings = controller_settings(mosquitto.url, tmp_path / "controller", hall)
    factory = QueueExtension.factory(deliver_ratings=False)
    with running_controller(settings, [factory]) as controller:
        argv = [sys.executable, "-m", "firmware_sim.queue", "--url", mosquitto.url, "--hall", hall]
        argv += ["--windows", "3", "--only", "display", "--only", "led", "--sounds", str(sounds)]
        log_path = tmp_path / "devices.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            ids = ("main-display", "window-03-led")
            assert wait_until(
                lambda: all((r := controller.registry.get(i)) and r.description for i in ids), timeout=30
            ), log_path.read_text()
            # The LED's answers, as a device maker would watch them on the bus.
            watcher = connect(int(mosquitto.url.rsplit(":", 1)[1]), None, None)
            watcher.client.subscribe(topics.topic(hall, "window-03-led", topics.Channel.RESP), qos=1)
            queue = next(e for e in controller.extensions if isinstance(e, QueueExtension))
            queue.service.run(lambda book, now: book.sign_in(3, "clerk-3", now))
            queue.service.run(lambda book, now: book.issue("social", now, source=Source.WINDOW))
            queue.service.run(lambda book, now: book.call_next(3, now))
            assert wait_until(lambda: len(list(sounds.glob("*-B001-zh.wav"))) == 1, timeout=20)
            assert wait_until(lambda: len(list(sounds.glob("*-B001-en.wav"))) == 1, timeout=20)

            def led_answered_shown(number: str) -> bool:
                answers = [decode(Response, payload) for _topic, payload in list(watcher.messages)]
                return any(
                    answer.phase is Phase.COMPLETION and answer.result.get("shown") == number
                    for answer in answers
                )

            assert wait_until(lambda: led_answered_shown("B001"))
            watcher.close()
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
        assert wait_until(
            lambda: (
                (r := controller.registry.get("main-display")) is not None
                and r.availability is Availability.OFFLINE
            )
        )

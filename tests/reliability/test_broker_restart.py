"""Mosquitto crashes in the middle of calls: clerks keep pressing, and afterwards every call is in the
book once and every display and window LED shows the right ticket again.

Stated recovery: within 20 s of the broker answering again, the main display shows the latest call
and every window's LED the ticket being served there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import wait_until
from tests.hall_controller.queue.morning import SimHall, sim_hall

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RECOVERY_SECONDS = 20.0


def _issue(hall: SimHall, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        answer = hall.api(
            "POST", "/tickets", json={"service": "business", "source": "window", "print_slip": False}
        )
        assert answer.status_code == 201, answer.text
        numbers.append(answer.json()["number"])
    return numbers


def _right_state_shown(hall: SimHall) -> bool:
    book = hall.book()
    latest = book.calls[-1].number if book.calls else None
    shown = hall.display.shown
    if latest is None or shown is None or shown.latest is None or shown.latest.number != latest:
        return False
    for number, devices in hall.windows.items():
        serving = book.windows[number].ticket
        if serving and (devices.led.shown is None or serving not in devices.led.shown.text):
            return False
    return True


def test_calls_survive_a_broker_crash(private_mosquitto: Callable[..., Broker], tmp_path: Path) -> None:
    broker = private_mosquitto()
    with sim_hall(broker.url, tmp_path / "hall") as hall:
        issued = _issue(hall, 8)
        for window in (1, 2):
            hall.press(window, "sign-in", clerk=f"clerk-{window}")
            hall.press(window, "next")
        assert wait_until(lambda: _right_state_shown(hall), timeout=10)

        broker.kill()
        # While the broker is away clerks press on: the keypads keep the presses (QoS 1, queued).
        handled = hall.extension.events_handled
        hall.windows[1].keypad.press("finish", outcome="办结")
        hall.windows[1].keypad.press("next")
        time.sleep(1.0)
        broker.start()
        back = time.monotonic()
        assert wait_until(lambda: hall.extension.events_handled >= handled + 2, timeout=RECOVERY_SECONDS)
        assert wait_until(lambda: _right_state_shown(hall), timeout=RECOVERY_SECONDS)
        recovered = time.monotonic() - back

        book = hall.book()
        assert sorted(book.tickets) == sorted(issued)  # nothing lost, nothing made twice
        called = [call.number for call in book.calls if not call.recall]
        assert len(called) == len(set(called)) == 3, called  # each call once, the queued one too
        assert book.windows[1].ticket not in (None, called[0])
        print(f"broker crash: devices show the right state {recovered:.1f} s after it answers again")

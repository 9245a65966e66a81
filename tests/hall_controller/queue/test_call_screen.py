"""The hall's call screen in Debian's Chromium at 1920×1080, against `hall controller` started as in
production over Mosquitto: a clerk's keypad (firmware_sim, outside the controller) calls, the page shows
it within a second; the controller is killed and started again, and the page comes back by itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from firmware_sim.queue.devices import CallerKeypad
from hall.net import free_port
from hall.settings import Settings
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import new_hall_id, staff_token, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCREEN = "/api/v1/ext/queue/screen"


def take_ticket(base: str, service: str, clerk: dict[str, str]) -> str:
    """A ticket taken at a window by a clerk."""
    body = {"service": service, "source": "window", "print_slip": False}
    answer = httpx.post(f"{base}/api/v1/ext/queue/tickets", json=body, headers=clerk, timeout=10)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["number"])


def press_and_time(page: Any, keypad: CallerKeypad, number: str) -> float:
    """Presses "next" on the keypad; how long until the page's DOM shows `number` called (≤ 1 s)."""
    started = time.monotonic()
    keypad.press("next")
    page.wait_for_function(
        "n => document.getElementById('latest-number').textContent === n", arg=number, timeout=1000
    )
    return time.monotonic() - started


def test_call_screen_live_and_back_after_a_controller_restart(
    mosquitto: Broker, start_hall_process: Any, chromium: Any, screenshot_dir: Path
) -> None:
    hall, port = new_hall_id(), str(free_port())
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=hall, controller__port=port)
    url = str(controller.url)
    manager = {"Authorization": f"Bearer {staff_token(Settings(), 'manager-1', ('manager',))}"}
    clerk = {"Authorization": f"Bearer {staff_token(Settings(), 'clerk-1', ('clerk',))}"}

    # Only a manager makes a screen's link.
    body = {"device_id": "hall-tv-1", "days": 30}
    assert httpx.post(f"{url}{SCREEN}/links", json=body, timeout=10).status_code == 401
    assert httpx.post(f"{url}{SCREEN}/links", json=body, headers=clerk, timeout=10).status_code == 403
    made = httpx.post(f"{url}{SCREEN}/links", json=body, headers=manager, timeout=10)
    assert made.status_code == 200, made.text
    link_path = made.json()["path"]
    assert link_path.startswith(f"{SCREEN}#link=d1.")

    # A stranger reads nothing: no calls without the screen's cookie, a forged link is refused.
    assert httpx.get(f"{url}{SCREEN}/state", timeout=10).status_code == 401
    assert httpx.get(f"{url}{SCREEN}/stream", timeout=10).status_code == 401
    forged = {"Authorization": "Bearer " + link_path.split("#link=")[1][:-2] + "AA"}
    assert httpx.post(f"{url}{SCREEN}/session", headers=forged, timeout=10).status_code == 401
    # A staff token is not a display link.
    assert httpx.post(f"{url}{SCREEN}/session", headers=manager, timeout=10).status_code == 401

    first, second, third = (take_ticket(url, "business", clerk) for _ in range(3))
    keypad = CallerKeypad(hall, "window-01-keypad", 1)
    keypad.start(mosquitto.url)
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        assert keypad.connected.wait(10)
        devices = httpx.Client(base_url=url, timeout=10)
        assert wait_until(lambda: devices.get("/api/v1/devices/window-01-keypad").status_code == 200)
        keypad.press("sign-in", clerk="clerk-1")

        page = context.new_page()
        page.goto(url + link_path)
        page.wait_for_selector("#link[data-state=live]", timeout=10000)
        assert "#link" not in page.url  # the token left the address bar
        assert page.locator("#service-rows tr[data-service=business] td").nth(1).inner_text() == "3"

        assert press_and_time(page, keypad, first) < 1.0
        assert page.inner_text("#latest-window") == "1 号窗口"
        assert page.inner_text("#latest-text") == f"请 {first} 号到 1 号窗口办理"
        assert page.locator("#service-rows tr[data-service=business] td").nth(1).inner_text() == "2"

        # The screen is a device of the hall: on the dashboard's device list, online, seen just now.
        record = devices.get("/api/v1/devices/hall-tv-1").json()
        assert record["kind"] == "call_screen" and record["availability"] == "online"
        assert record["seconds_since_seen"] < 10

        keypad.press("finish", outcome="办结")
        assert press_and_time(page, keypad, second) < 1.0
        page.wait_for_selector(f"#recent-rows tr[data-number={first}]")

        # The controller dies; the page says it is reconnecting, and comes back by itself after the start.
        controller.process.kill()
        page.wait_for_selector("#link[data-state=connecting]", timeout=5000)
        controller = start_hall_process(
            "controller", mqtt_url=mosquitto.url, hall_id=hall, controller__port=port
        )
        page.wait_for_selector("#link[data-state=live]", timeout=15000)
        assert page.inner_text("#latest-number") == second  # the state as it was, re-read
        assert wait_until(
            lambda: devices.get("/api/v1/devices/window-01-keypad").json().get("availability") == "online",
            timeout=15,
        )
        keypad.press("finish", outcome="办结")
        assert press_and_time(page, keypad, third) < 1.0
        assert devices.get("/api/v1/devices/hall-tv-1").json()["availability"] == "online"
        page.wait_for_timeout(300)
        page.screenshot(path=str(screenshot_dir / "call-screen.png"))

        # The manager's dashboard lists the screen among the hall's devices, online.
        dashboard = context.new_page()
        dashboard.goto(url + "/")
        dashboard.wait_for_selector('tr[data-device="hall-tv-1"] td.online', timeout=10000)
        row = dashboard.inner_text('tr[data-device="hall-tv-1"]')
        assert "call_screen" in row and "browser HeadlessChrome" in row
        dashboard.screenshot(path=str(screenshot_dir / "call-screen-on-dashboard.png"), full_page=True)
        dashboard.close()

        # The screen goes away: the dashboard shows it offline.
        page.close()
        assert wait_until(
            lambda: devices.get("/api/v1/devices/hall-tv-1").json()["availability"] == "offline", timeout=15
        )
    finally:
        context.close()
        keypad.stop()


def test_call_screen_without_a_link_says_so(
    mosquitto: Broker, start_hall_process: Any, page: Any, screenshot_dir: Path
) -> None:
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=new_hall_id())
    page.goto(f"{controller.url}{SCREEN}")
    page.wait_for_selector("#refused:not([hidden])", timeout=10000)
    assert page.inner_text("#latest-number") == "—"
    page.goto(f"{controller.url}{SCREEN}#link=d1.bogus.token")
    page.wait_for_selector("#link[data-state=refused]", timeout=10000)
    page.screenshot(path=str(screenshot_dir / "call-screen-refused.png"))

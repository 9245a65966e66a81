"""The manager's dashboard in headless Chromium, live over SSE; and the controller's HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.protocol.health import HealthCode
from firmware_sim.device import SimulatedDevice
from hall_controller.app import create_app
from hall_controller.extensions import Extension, PanelData
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import (
    controller_settings,
    new_hall_id,
    serving,
    staff_headers,
    staff_token,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class QueueSummary(Extension):
    name = "queue-summary"

    def panel(self) -> PanelData:
        return PanelData(
            "排队概况 Queue",
            summary={"等候 waiting": 7, "开放窗口 open windows": 3},
            rows=[
                {"号码 ticket": "A012", "窗口 window": "3号窗口"},
                {"号码 ticket": "B003", "窗口 window": "5号窗口"},
            ],
        )


def hall_devices(hall: str) -> list[SimulatedDevice]:
    return [
        SimulatedDevice(hall, "main-display", "queue_display", capabilities=["show-calls"], model="LCD-55"),
        SimulatedDevice(
            hall, "ticket-printer-01", "ticket_printer", capabilities=["print-ticket"], model="TP-80"
        ),
        SimulatedDevice(hall, "locker-bank-01", "locker_bank", capabilities=["unlock"], model="CU16"),
        SimulatedDevice(hall, "kiosk-01", "kiosk", model="自助终端 K1"),
        SimulatedDevice(hall, "window-03-led", "window_led", capabilities=["show-call"]),
    ]


def test_live_dashboard(mosquitto: Broker, tmp_path: Path, page: Any, screenshot_dir: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(mosquitto.url, tmp_path, hall)
    app = create_app(settings, extensions=[QueueSummary])
    devices = hall_devices(hall)
    with serving(app) as url:
        for device in devices:
            device.start(mosquitto.url)
        try:
            printer, locker, kiosk, led = devices[1], devices[2], devices[3], devices[4]
            assert all(device.connected.wait(10) for device in devices)
            printer.raise_issue(HealthCode.PAPER_OUT)
            locker.raise_issue(HealthCode.DOOR_FORCED, "柜门 07 被强行打开")
            kiosk.raise_issue(HealthCode.CARD_READER_MISSING)

            page.goto(url)
            for device in devices:
                page.wait_for_selector(f'tr[data-device="{device.device_id}"] td.online', timeout=15000)
            page.wait_for_selector("tr[data-alarm] >> text=缺纸", timeout=15000)
            page.wait_for_selector('section[data-panel="queue-summary"] >> text=A012')
            page.wait_for_selector("tr[data-alarm] >> text=柜门 07 被强行打开")
            page.wait_for_selector("tr[data-alarm] >> text=读卡器未连接")
            assert page.locator("tr[data-alarm]").count() == 3
            page.screenshot(path=str(screenshot_dir / "controller-dashboard.png"), full_page=True)

            # A manager acknowledges the paper alarm: it stays (still active) but loses its button.
            row = page.locator("tr[data-alarm]", has_text="缺纸")
            row.locator("button").click()  # not logged in: refused, said so
            page.wait_for_selector("#who:has-text('a manager must log in')")
            token = staff_token(settings, "manager1", ("manager",))
            page.evaluate("token => sessionStorage.setItem('hall-staff-token', token)", token)
            row.locator("button").click()
            page.wait_for_selector("tr[data-alarm]:has-text('缺纸') >> text=已确认", timeout=10000)
            # Live: a device goes away and the page shows it without a reload.
            led.stop()
            page.wait_for_selector('tr[data-device="window-03-led"] td.offline', timeout=15000)
            printer.clear_issue(HealthCode.PAPER_OUT)
            # Cleared and acknowledged: nothing left to attend to, the row goes (it stays in history).
            page.wait_for_selector("tr[data-alarm]:has-text('缺纸')", state="detached", timeout=15000)
            page.screenshot(path=str(screenshot_dir / "controller-dashboard-after.png"), full_page=True)
        finally:
            for device in devices:
                device.stop()


def test_http_api_refuses_garbage_and_serves_metrics(mosquitto: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(mosquitto.url, tmp_path, hall)
    app = create_app(settings, extensions=[])
    device = SimulatedDevice(hall, "printer-9", "ticket_printer", capabilities=["print-ticket"])
    manager = staff_headers(settings, "值班经理", ("manager",))
    with serving(app) as url, httpx.Client(base_url=url, timeout=15, headers=manager) as http:
        device.start(mosquitto.url)
        try:
            assert wait_until(lambda: http.get("/api/v1/devices/printer-9").status_code == 200)
            # Commands go to devices from the controller's own code (extensions), not over anonymous HTTP.
            assert http.post("/api/v1/devices/printer-9/commands/print-ticket", json={}).status_code in (
                404,
                405,
            )
            controller = app.state.controller
            assert controller.send_command("printer-9", "print-ticket", {"n": 1}).result(10).ok
            assert http.post("/api/v1/alarms/nope/ack", content=b"\xff{").status_code == 422
            assert http.post("/api/v1/alarms/nope/ack", json={"by": "m", "extra": 1}).status_code == 422
            assert http.post("/api/v1/alarms/nope/ack", json={"by": "m"}).status_code == 404
            assert http.post("/api/v1/alarms/nope/ack", json={"by": ""}).status_code == 422
            assert http.get("/api/v1/devices/ghost").status_code == 404
            device.raise_issue(HealthCode.TONER_LOW)
            assert wait_until(lambda: http.get("/api/v1/alarms").json())
            [alarm] = http.get("/api/v1/alarms").json()
            anonymous = httpx.post(f"{url}/api/v1/alarms/{alarm['alarm_id']}/ack", json={}, timeout=15)
            assert anonymous.status_code == 401
            clerk = staff_headers(settings, "clerk1", ("clerk",))
            as_clerk = httpx.post(f"{url}/api/v1/alarms/{alarm['alarm_id']}/ack", json={}, headers=clerk)
            assert as_clerk.status_code == 403
            # The name recorded is the token's, not the one in the body.
            acked = http.post(f"/api/v1/alarms/{alarm['alarm_id']}/ack", json={"by": "someone"}).json()
            assert acked["acknowledged_by"] == "值班经理"
            metrics = http.get("/metrics").text
            assert 'hall_devices{availability="online"} 1.0' in metrics
            assert 'hall_commands_total{code="success"} 1.0' in metrics
            assert 'hall_alarms_active{severity="warning"} 1.0' in metrics
            assert 'hall_alarms_unacknowledged{severity="warning"} 0.0' in metrics  # acknowledged above
        finally:
            device.stop()

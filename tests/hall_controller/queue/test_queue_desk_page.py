"""The clerk desk page in headless Chromium, against `hall controller` started as in production (the queue
extension discovered), over Mosquitto: sign in, call, finish — and screenshots to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from hall.settings import Settings
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import new_hall_id, staff_token

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_clerk_desk_calls_and_finishes(
    mosquitto: Broker, start_hall_process: Any, page: Any, screenshot_dir: Path
) -> None:
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=new_hall_id())
    base = f"{controller.url}/api/v1/ext/queue"
    # Window tickets are taken by a clerk (the case service issues the token; here the process's own
    # development key).
    token = staff_token(Settings(), "clerk-02")
    for service in ("business", "business", "social"):
        answer = httpx.post(
            f"{base}/tickets",
            json={"service": service, "source": "window"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text

    page.goto(f"{base}/desk?window=2")
    page.click("text=签到 Sign in")  # not logged in: refused, nothing changes
    page.wait_for_selector("#message.error")
    assert "please log in" in page.inner_text("#message")
    # As after logging in.
    page.evaluate("token => sessionStorage.setItem('hall-staff-token', token)", token)
    page.reload()
    page.wait_for_selector("#who:has-text('clerk-02')")
    page.click("text=签到 Sign in")
    page.wait_for_selector("#message.ok")
    page.click("text=叫号 Call next")
    page.wait_for_function("document.getElementById('current').textContent === 'A001'")
    page.wait_for_function("document.querySelectorAll('#calls tbody tr').length === 1")
    page.screenshot(path=str(screenshot_dir / "queue-desk-called.png"), full_page=True)

    page.click("text=办结 Finish")
    page.wait_for_function("document.getElementById('current').textContent === '—'")
    page.click("text=过号 No-show")
    page.wait_for_selector("#message.error")
    assert "window 2 has no ticket called" in page.inner_text("#message")
    page.screenshot(path=str(screenshot_dir / "queue-desk-refused.png"), full_page=True)

    ticket = httpx.get(f"{base}/tickets/A001", timeout=10).json()
    assert ticket["state"] == "finished" and ticket["visits"][0]["clerk"] == "clerk-02"

    page.goto(controller.url + "/")
    page.wait_for_selector("text=排队叫号 Queue")
    page.screenshot(path=str(screenshot_dir / "queue-dashboard-panel.png"), full_page=True)


def test_remote_ticket_through_the_qr_link(
    mosquitto: Broker, start_hall_process: Any, page: Any, screenshot_dir: Path
) -> None:
    import io

    import zxingcpp
    from PIL import Image

    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=new_hall_id())
    base = f"{controller.url}/api/v1/ext/queue"
    png = httpx.get(f"{base}/remote-qr.png", timeout=10)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [code.text for code in decoded] == [f"{base}/remote"]

    page.goto(decoded[0].text)
    page.select_option("#service", "permits")
    page.fill("#phone", "13912345678")
    page.click("button[type=submit]")
    page.wait_for_selector("#ticket .number")
    assert page.inner_text("#ticket .number") == "C001"
    page.screenshot(path=str(screenshot_dir / "queue-remote-ticket.png"), full_page=True)
    page.click("button[type=submit]")  # the same phone again: one ticket per person and service
    page.wait_for_selector("#ticket.error")
    assert "already holds a ticket" in page.inner_text("#ticket")

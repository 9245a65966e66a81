"""The admin's devices page in Chromium: register a device, its one-time code shown once, rotate, revoke;
the record checked through the API the device itself uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.fixtures.hall import HallProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _row(page: Any, device_id: str) -> Any:
    return page.locator("#devices tr", has_text=device_id)


def test_an_admin_registers_rotates_and_revokes_a_device(
    start_hall_process: Callable[..., HallProcess], page: Any, screenshot_dir: Path
) -> None:
    service = start_hall_process("case-service")
    base = service.url
    assert base is not None
    sign_in(page, base, "admin")
    click_and_wait(page, page.locator("header a", has_text="设备"))
    assert page.url.endswith("/web/devices")

    page.fill("input[name=device_id]", "kiosk-21")
    page.select_option("select[name=kind]", "kiosk")  # a person picks the kind
    click_and_wait(page, page.locator("button", has_text="登记 Register"))
    code = page.locator("#enrolment-code code.code").inner_text().strip()
    assert len(code) >= 20 and code not in page.url
    assert "待登记 awaiting enrolment" in _row(page, "kiosk-21").inner_text()
    page.screenshot(path=str(screenshot_dir / "case-devices-registered.png"), full_page=True)

    with httpx.Client(base_url=base, timeout=10) as device:
        enrolled = device.post("/api/v1/auth/device-enrolment", json={"device_id": "kiosk-21", "code": code})
        assert enrolled.status_code == 200 and enrolled.json()["kind"] == "kiosk"
        secret = enrolled.json()["secret"]
        page.goto(f"{base}/web/devices")
        assert "已登记 enrolled" in _row(page, "kiosk-21").inner_text()
        assert code not in page.content()  # shown once: not on the next visit

        # Rotate: a new code at once, and the old secret is dead.
        click_and_wait(page, _row(page, "kiosk-21").locator("button", has_text="Rotate"))
        fresh = page.locator("#enrolment-code code.code").inner_text().strip()
        assert fresh != code
        token = {"device_id": "kiosk-21", "secret": secret}
        assert device.post("/api/v1/auth/device-token", json=token).status_code == 401
        secret = device.post(
            "/api/v1/auth/device-enrolment", json={"device_id": "kiosk-21", "code": fresh}
        ).json()["secret"]
        token = {"device_id": "kiosk-21", "secret": secret}
        assert device.post("/api/v1/auth/device-token", json=token).status_code == 200

        # Revoke.
        page.goto(f"{base}/web/devices")
        click_and_wait(page, _row(page, "kiosk-21").locator("button", has_text="Revoke"))
        assert "kiosk-21: 已吊销 revoked" in page.locator(".flash.message").inner_text()
        assert "已吊销 revoked" in _row(page, "kiosk-21").inner_text()
        page.screenshot(path=str(screenshot_dir / "case-devices-revoked.png"), full_page=True)
        assert device.post("/api/v1/auth/device-token", json=token).status_code == 401

    # A bad id is a clear message, and nothing is registered.
    page.fill("input[name=device_id]", "Kiosk 22")
    page.evaluate("document.querySelector('input[name=device_id]').removeAttribute('pattern')")
    click_and_wait(page, page.locator("button", has_text="登记 Register"))
    assert "小写字母" in page.locator(".flash.error").inner_text()
    assert page.locator("#devices tr", has_text="Kiosk 22").count() == 0


def test_a_clerk_cannot_manage_devices(start_hall_process: Callable[..., HallProcess], page: Any) -> None:
    service = start_hall_process("case-service")
    base = service.url
    assert base is not None
    sign_in(page, base, "clerk1")
    assert page.locator("header a", has_text="设备").count() == 0
    page.goto(f"{base}/web/devices")
    assert "admin role needed" in page.content()
    with httpx.Client(base_url=base, timeout=10) as client:
        cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
        answer = client.post(
            "/web/devices",
            data={"device_id": "kiosk-23", "kind": "controller", "hall_id": "hall-01"},
            cookies=cookies,
        )
        assert "admin role needed" in answer.text
        registered = client.post("/api/v1/auth/device-enrolment", json={"device_id": "kiosk-23", "code": "x"})
        assert registered.status_code == 401

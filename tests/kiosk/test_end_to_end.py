"""End to end: the real Kivy kiosk under Xvfb, the real case service, the real ID-card driver on the
firmware_sim reader emulator. The applicant taps a card, applies with one material missing, gets the
one-time notice, leaves, comes back, finds the case and takes a queue ticket from the running hall
controller (Mosquitto). The document camera and the printer are simulated here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from firmware_sim.idcard.cards import sample_identity
from hall.display import VirtualDisplay
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow.model import IdCard
from tests.fixtures.hall import HallProcess, hall_env
from tests.fixtures.mqtt import Broker
from tests.kiosk.conftest import DEV_DEVICE_SECRET

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(600)
def test_card_apply_notice_come_back(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    controller = start_hall_process("controller", mqtt_url=mosquitto.url)
    assert controller.url is not None
    service = HttpCaseService(case_url, device_id="kiosk-e2e-check", device_secret=DEV_DEVICE_SECRET)
    try:
        item = next(
            detail
            for detail in (service.item(summary.item_id) for summary in service.search_items(""))
            if detail.kiosk_apply and sum(m.required for m in detail.materials) >= 2
        )
        env = hall_env(tmp_path / "var", kiosk__voice="off", mqtt_url=mosquitto.url)
        env["DISPLAY"] = xvfb.name
        command = [sys.executable, "-m", "kiosk.drive", "--script", "e2e", "--case-service-url", case_url]
        command += ["--item", item.item_id, "--orientation", "portrait", "--out", str(screenshot_dir)]
        command += ["--controller-url", controller.url]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=500, check=False)
        assert done.stdout.strip(), done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["failed"] == "", report["failed"]
        assert report["clipped"] == []
        ticket = report["notes"]["ticket"]
        assert report["printed"] == ["补正材料一次性告知书", f"取号 {ticket}"]
        # What the case service now holds for this person: one case, with the last material missing.
        identity = sample_identity("王芳")
        token = service.identify_card(IdCard(identity.name, identity.id_number)).token
        (case,) = service.cases(token)
        assert case.item_name_zh == item.name_zh
        # The ticket is the controller's, taken by the kiosk for this person.
        answer = httpx.get(f"{controller.url}/api/v1/ext/queue/tickets/{ticket}", timeout=10).json()
        assert answer["source"] == "kiosk" and answer["state"] == "waiting"
        for name in ("e2e-menu-zh", "e2e-notice-zh", "e2e-progress-zh", "e2e-ticket-zh"):
            assert (screenshot_dir / f"kiosk-portrait-{name}.png").exists()
    finally:
        service.close()

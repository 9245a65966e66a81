"""The window's ID-card reader and document camera on the clerk's intake page: firmware_sim's counter
devices (the SAM reader driver on its emulator, the capture pipeline on a simulated desk) run in this test
process on Mosquitto; the real `hall controller` and `hall case-service` run as their own processes. A card
laid on window 1's reader fills the applicant on the page of the clerk signed in there (masked); a page
under its camera becomes the material's scan; nobody else sees the read. Clicked in Chromium."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity
from firmware_sim.window.devices import WindowCounter
from hall.privacy import mask_id_number
from tests.case_service.conftest import ITEM_FOOD
from tests.case_service.web.test_intake_journeys import api, material_row, scans, shoot
from tests.case_service.web.test_pages import api_token, click_and_wait, sign_in
from tests.fixtures.mqtt import Broker, connect
from tests.hall_controller.harness import new_hall_id, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["scans"]
PERSON = sample_identity("𠮷田花", birth_date=dt.date(1986, 4, 2), region="513401", sequence=321)


@pytest.fixture
def counters() -> Iterator[list[WindowCounter]]:
    started: list[WindowCounter] = []
    yield started
    for counter in started:
        counter.stop()


def test_a_card_on_the_windows_reader_fills_the_intake_and_the_camera_scans_a_material(
    mosquitto: Broker,
    counters: list[WindowCounter],
    start_hall_process: Any,
    chromium: Any,
    scans: list[Path],
    screenshot_dir: Path,
) -> None:
    hall_id = new_hall_id()
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=hall_id)
    port = controller.url.rsplit(":", 1)[1]
    service = start_hall_process("case-service", controller__port=port)
    ext = f"{controller.url}/api/v1/ext"
    # The reader is configured with the case service's public key, as an installer takes it from the page.
    read_key = httpx.get(f"{service.url}/web/window/read-key", timeout=10).json()["window_read_key"]
    devices = WindowCounter.build(hall_id, 1, read_key=read_key, seed=0)
    counters.append(devices)
    devices.start(mosquitto.url)
    bus = connect(mosquitto.port, None, None)  # everything said on the hall's bus, to look for the number
    bus.client.subscribe(f"hall/v1/{hall_id}/#", qos=1)

    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, service.url, "clerk1")
    page.goto(f"{service.url}/web/intake/new?item={ITEM_FOOD}")
    # Not signed in at a window: the page says so, and the reader gives this clerk nothing.
    page.locator("#reader-status", has_text="尚未在窗口签到").wait_for(timeout=10_000)
    page.goto(f"{service.url}/web/desk/queue?window=1")
    click_and_wait(page, page.locator("#keys button", has_text="签到"))
    page.goto(f"{service.url}/web/intake/new?item={ITEM_FOOD}")
    page.locator("#reader-status", has_text="1号窗口：读卡器、高拍仪在线").wait_for(timeout=10_000)

    laid = time.monotonic()
    devices.present(SimCard.of(PERSON))
    page.locator("#reader-read", has_text="𠮷田花").wait_for(timeout=15_000)
    seconds = time.monotonic() - laid
    masked = mask_id_number(PERSON.id_number)
    assert page.locator("#f-name").input_value() == "𠮷田花"
    assert page.locator("#f-id_number").input_value() == masked
    assert PERSON.id_number not in page.content()
    print(f"\ncard laid → applicant on the page: {seconds:.2f} s")
    reads = [payload for topic, payload in bus.messages if topic.endswith("/evt/card-read")]
    assert len(reads) == 1 and all(PERSON.id_number.encode() not in payload for _, payload in bus.messages)
    assert "𠮷田花".encode() not in reads[0]  # sealed to the case service: the controller cannot read it
    sealed = httpx.get(f"{ext}/window/mine?after=0", headers=clerk_token(service.url), timeout=10).json()
    assert PERSON.id_number not in str(sealed) and sealed["reads"][0]["sealed"]

    # Least privilege: the manager, signed in at window 2, and a reviewer see nothing of window 1's read.
    with httpx.Client(base_url=service.url, timeout=30) as client:
        manager, reviewer = api_token(client, "manager1"), api_token(client, "reviewer1")
    assert httpx.get(f"{ext}/window/mine?after=0", headers=manager, timeout=10).status_code == 409
    signed = httpx.post(
        f"{ext}/queue/windows/2/actions", json={"key": "sign-in"}, headers=manager, timeout=10
    )
    assert signed.status_code == 200, signed.text
    theirs = httpx.get(f"{ext}/window/mine?after=0", headers=manager, timeout=10).json()
    assert theirs["window"] == 2 and theirs["reads"] == []
    assert httpx.get(f"{ext}/window/mine?after=0", headers=reviewer, timeout=10).status_code == 403
    assert httpx.get(f"{ext}/window/mine?after=0", timeout=10).status_code == 401
    assert httpx.post(f"{ext}/window/mine/capture", timeout=10).status_code == 401

    # The document camera: the application form is laid under it and taken as that material's scan.
    form_row = material_row(page, "食品经营许可申请书")
    click_and_wait(page, form_row.get_by_role("button", name="食品经营许可申请书 高拍仪拍摄"))
    assert page.inner_text(".flash.message") == "已拍摄「食品经营许可申请书」"  # a page, not a blank sheet
    form_row = material_row(page, "食品经营许可申请书")
    assert form_row.locator("img.thumb").count() == 1
    assert form_row.locator("select[name$=_status]").input_value() == "received"
    assert page.locator("#f-id_number").input_value() == masked  # the read survives the round trip
    assert PERSON.id_number not in page.content()
    for number, name in enumerate(
        [
            "法定代表人(负责人)身份证明",
            "与食品经营相适应的主要设备设施布局、操作流程等文件",
            "食品安全自查、从业人员健康管理、进货查验记录等保证食品安全的规章制度",
        ]
    ):
        material_row(page, name).locator("input[type=file]").set_input_files(str(scans[number]))
    material_row(page, "营业执照").locator("select[name$=_status]").select_option(label="容缺后补")
    shoot(page, screenshot_dir, "form_reader_camera")
    click_and_wait(page, page.locator("#file-case"))
    assert "/web/intake/receipt/" in page.url, page.inner_text("main")
    number = page.inner_text("#case-number")

    with api(service.url) as client:
        case = client.get(f"/api/v1/cases/{number}").json()
        assert case["applicant_name"] == "𠮷田花"
        assert case["applicant_id_number"] == masked  # the whole number was filed (masked on the way out)
        assert case["received_window"] == 1  # the clerk's window, for the figures by window
        materials = {m["name"]: m for m in client.get(f"/api/v1/cases/{number}/materials").json()}
        scan = materials["食品经营许可申请书"]
        assert scan["content_type"] == "image/jpeg"
        assert scan["size"] > 20_000  # a page, not a thumbnail

    # The next applicant's page shows nothing of this one; a card taken off and laid again reads again.
    page.goto(f"{service.url}/web/intake/new?item={ITEM_FOOD}")
    page.locator("#reader-status", has_text="在线").wait_for(timeout=10_000)
    assert page.locator("#f-name").input_value() == "" and page.locator("#reader-read").is_hidden()
    devices.present(None)
    wait_until(lambda: not devices.card_reader.reader.card_present(), timeout=15)
    time.sleep(0.3)
    devices.present(SimCard.of(PERSON))
    page.locator("#reader-read", has_text="𠮷田花").wait_for(timeout=15_000)
    # An expired card fills nothing: the page says why.
    devices.present(None)
    wait_until(lambda: not devices.card_reader.reader.card_present(), timeout=15)
    time.sleep(0.3)
    devices.present(SimCard.of(expired_identity()))
    page.locator("#reader-read", has_text="证件已过有效期").wait_for(timeout=15_000)
    bus.close()
    context.close()


def clerk_token(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=30) as client:
        return api_token(client, "clerk1")

"""The window's counter devices on the case page: release to the window (一窗出件) with the window's
ID-card reader, and a supplement's material taken under the window's document camera. firmware_sim's
counter devices run in this test process on Mosquitto; the real `hall controller` and `hall case-service`
run as their own processes. Another person's card laid on the reader fills the hand-over form and is
refused; the applicant's own card is read, verified and the case delivered; the 送达回证 names the method,
the ID read at the reader and the clerk who served it (送达人). Clicked in Chromium at 1366×768."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from firmware_sim.idcard.cards import SimCard, sample_identity
from firmware_sim.window.devices import WindowCounter
from hall.privacy import mask_id_number
from tests.case_service.conftest import ITEM_COMPANY
from tests.case_service.web.test_intake_journeys import api
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_window_desk import SIZES, pdf_text, shoot
from tests.case_service.web.test_window_devices import counters
from tests.fixtures.materials import hand_in
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import new_hall_id, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["counters"]
APPLICANT = sample_identity("𠮷田花", birth_date=dt.date(1986, 4, 2), region="513401", sequence=321)
STRANGER = sample_identity("李四", birth_date=dt.date(1990, 1, 1), region="110101", sequence=55)


def filed_case(base: str, name: str, id_number: str, *, complete: bool = True) -> dict[str, Any]:
    """A case filed at the window (`complete`: with every required material)."""
    with api(base, "clerk1") as clerk:
        answer = clerk.post(
            "/api/v1/cases",
            json={
                "item_code": ITEM_COMPANY,
                "channel": "window",
                "applicant": {"name": name, "id_number": id_number, "phone": "13812345678"},
            },
            headers={"Idempotency-Key": f"release-{time.time_ns()}"},
        )
        assert answer.status_code == 201, answer.text
        case: dict[str, Any] = answer.json()
        if complete:
            hand_in(clerk, case["id"], ITEM_COMPANY, {})
    return case


def sealed_case(base: str, name: str, id_number: str) -> dict[str, Any]:
    """A case filed at the window with every material, accepted, approved, certificate made and sealed."""
    case = filed_case(base, name, id_number)
    for action, user, body in [
        ("accept", "clerk1", {}),
        ("start_review", "reviewer1", {}),
        # 州税务局, the item's joint department: the decision waits for its opinion
        ("joint-opinion", "taxreviewer1", {"conclusion": "agree", "opinion": "无涉税异议，同意办理"}),
        ("approve", "approver1", {"reason": "符合法定条件"}),
        ("make_certificate", "reviewer1", {}),
        ("seal", "sealer1", {}),
    ]:
        path = "joint-opinion" if action == "joint-opinion" else f"actions/{action}"
        with api(base, user) as client:
            done = client.post(f"/api/v1/cases/{case['id']}/{path}", json=body)
            assert done.status_code == 200, done.text
    return case


def lay(devices: WindowCounter, card: SimCard | None) -> None:
    """Takes away whatever card is on the reader, then lays `card` (as a person does at the counter)."""
    devices.present(None)
    wait_until(lambda: not devices.card_reader.reader.card_present(), timeout=15)
    time.sleep(0.3)
    if card is not None:
        devices.present(card)


def test_release_to_the_window_with_the_recipients_card_on_the_windows_reader(
    mosquitto: Broker,
    counters: list[WindowCounter],
    start_hall_process: Any,
    chromium: Any,
    screenshot_dir: Path,
) -> None:
    hall_id = new_hall_id()
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=hall_id)
    service = start_hall_process("case-service", controller__port=controller.url.rsplit(":", 1)[1])
    base = service.url
    read_key = httpx.get(f"{base}/web/window/read-key", timeout=10).json()["window_read_key"]
    devices = WindowCounter.build(hall_id, 1, read_key=read_key, seed=0)
    counters.append(devices)
    devices.start(mosquitto.url)
    case = sealed_case(base, "𠮷田花", APPLICANT.id_number)

    context = chromium.new_context(viewport=SIZES["1366"], locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/desk/queue?window=1")
    click_and_wait(page, page.locator("#keys button", has_text="签到"))
    page.goto(f"{base}/web/case/{case['id']}")
    page.select_option("form[action$='/act/release'] select[name=channel]", "window")
    click_and_wait(page, page.locator("form[action$='/act/release'] button"))
    page.locator("#reader-status", has_text="1号窗口：读卡器、高拍仪在线").wait_for(timeout=10_000)

    # Someone else's card: it fills the box (masked) and the check refuses it; nothing delivered.
    lay(devices, SimCard.of(STRANGER))
    page.locator("#reader-read", has_text="李四").wait_for(timeout=15_000)
    assert page.locator("#f-id_number").input_value() == mask_id_number(STRANGER.id_number)
    click_and_wait(page, page.locator("#handover button"))
    assert "与申请人不一致" in page.inner_text(".flash.error")
    with api(base) as client:
        assert client.get(f"/api/v1/cases/{case['id']}").json()["state"] == "ready_for_release"

    # The applicant's own card: read, verified against the case, delivered.
    laid = time.monotonic()
    lay(devices, SimCard.of(APPLICANT))
    page.locator("#reader-read", has_text="𠮷田花").wait_for(timeout=15_000)
    print(f"\ncard laid → recipient on the hand-over form: {time.monotonic() - laid:.2f} s")
    masked = mask_id_number(APPLICANT.id_number)
    assert page.locator("#f-id_number").input_value() == masked
    assert APPLICANT.id_number not in page.content()
    shoot(page, screenshot_dir, "case_handover_reader")
    click_and_wait(page, page.locator("#handover button"))
    assert "已当面送达" in page.inner_text(".flash.message"), page.inner_text("main")

    with api(base) as client:
        stored = client.get(f"/api/v1/cases/{case['id']}").json()
    assert stored["state"] == "delivered"
    delivered = stored["delivery_receipt"]["delivered"]
    assert delivered["method"] == "window" and delivered["by"] == "综合窗口 王芳"
    assert delivered["id_checked"] == masked and delivered["id_source"] == "窗口读卡器读取身份证"
    assert delivered["recipient"] == "𠮷田花"

    href = page.locator("#documents a", has_text="送达回证").get_attribute("href")
    text = pdf_text(page, href)
    assert "直接送达" in text and "综合窗口 王芳" in text and "窗口读卡器读取身份证" in text
    assert APPLICANT.id_number not in text
    context.close()


def test_an_agent_typed_with_the_authorisation_letter_is_still_possible(
    mosquitto: Broker, start_hall_process: Any, chromium: Any
) -> None:
    """No card on the reader (an agent without a readable card): typed, with the letter checked."""
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=new_hall_id())
    service = start_hall_process("case-service", controller__port=controller.url.rsplit(":", 1)[1])
    base = service.url
    case = sealed_case(base, "王五", STRANGER.id_number)
    context = chromium.new_context(viewport=SIZES["1366"], locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/case/{case['id']}")
    page.select_option("form[action$='/act/release'] select[name=channel]", "window")
    click_and_wait(page, page.locator("form[action$='/act/release'] button"))
    page.check("#handover input[name=who][value=agent]")
    page.fill("#f-agent_name", "赵六")
    page.fill("#f-agent_id_number", APPLICANT.id_number)
    page.check("#handover input[name=authorisation]")
    click_and_wait(page, page.locator("#handover button"))
    assert "已当面送达" in page.inner_text(".flash.message"), page.inner_text("main")
    with api(base) as client:
        delivered = client.get(f"/api/v1/cases/{case['id']}").json()["delivery_receipt"]["delivered"]
    assert delivered["signed_by"] == "赵六(代领人)" and delivered["id_source"] == "手工录入身份证号"
    assert delivered["agent_id"] == mask_id_number(APPLICANT.id_number)
    context.close()


def test_a_supplements_material_taken_under_the_windows_camera_on_the_case_page(
    mosquitto: Broker,
    counters: list[WindowCounter],
    start_hall_process: Any,
    chromium: Any,
    screenshot_dir: Path,
) -> None:
    """The applicant comes back with the missing paper (补正): the clerk lays it under the camera from the
    case page, it is filed as that material, and the case is marked 已补正 and accepted."""
    hall_id = new_hall_id()
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=hall_id)
    service = start_hall_process("case-service", controller__port=controller.url.rsplit(":", 1)[1])
    base = service.url
    read_key = httpx.get(f"{base}/web/window/read-key", timeout=10).json()["window_read_key"]
    devices = WindowCounter.build(hall_id, 1, read_key=read_key, seed=0)
    counters.append(devices)
    devices.start(mosquitto.url)
    case = filed_case(base, "赵六", STRANGER.id_number, complete=False)
    with api(base) as clerk:
        done = clerk.post(f"/api/v1/cases/{case['id']}/actions/request_supplement", json={})
        assert done.status_code == 200, done.text

    context = chromium.new_context(viewport=SIZES["1366"], locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, "clerk1")
    # Not signed in at a window yet: the camera is refused with what to do.
    page.goto(f"{base}/web/case/{case['id']}")
    page.select_option("#camera select[name=name]", "公司章程")
    click_and_wait(page, page.locator("#camera button"))
    assert "尚未在窗口签到" in page.inner_text(".flash.error")
    page.goto(f"{base}/web/desk/queue?window=1")
    click_and_wait(page, page.locator("#keys button", has_text="签到"))
    page.goto(f"{base}/web/case/{case['id']}")
    page.select_option("#camera select[name=name]", "公司章程")
    click_and_wait(page, page.locator("#camera button"))
    assert page.inner_text(".flash.message") == "已拍摄「公司章程」", page.inner_text("main")
    assert page.locator(".materials figure", has_text="公司章程").count() == 1
    shoot(page, screenshot_dir, "case_camera")

    with api(base) as clerk:
        held = {m["name"]: m for m in clerk.get(f"/api/v1/cases/{case['id']}/materials").json()}
        assert held["公司章程"]["content_type"] == "image/jpeg" and held["公司章程"]["size"] > 20_000
        assert clerk.get(f"/api/v1/cases/{case['id']}").json()["state"] == "supplement_required"
    click_and_wait(page, page.locator("form[action$='/act/supplement'] button"))
    with api(base) as clerk:
        assert clerk.get(f"/api/v1/cases/{case['id']}").json()["state"] == "submitted"
    context.close()

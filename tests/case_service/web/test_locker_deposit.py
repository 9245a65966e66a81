"""智能柜存件 from the case page: the clerk chooses a size, the real hall controller (with a simulated lock
board behind its gateway, over Mosquitto) opens a free compartment; the clerk puts the result in and closes
the door; the case service records the case ready for pickup. The applicant collects at the bank (the ID
card on its reader, or the code from the SMS typed at its keypad) and the case service records the case
delivered, the compartment freed. Clicked in Chromium at 1366×768."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.lockboard.gateway import LockerGateway
from devices.protocol import lockers
from firmware_sim.lockers.rig import start_rig
from hall.net import free_port
from hall_controller.app import create_app
from hall_controller.lockers.extension import LockersExtension
from hall_controller.lockers.notify import FileSmsProvider
from tests.case_service.conftest import ID_A, ITEM_COMPANY
from tests.case_service.web.test_pages import api_token, click_and_wait, file_case, sign_in
from tests.case_service.web.test_window_desk import pdf_text, shoot
from tests.fixtures.devices import enrol_controller
from tests.fixtures.hall import HallProcess
from tests.fixtures.materials import hand_in
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, serving, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BANK = "locker-bank-01"


class Phone(FileSmsProvider):
    """The applicant's phone: the texts as the controller sent them (the file beside keeps them masked)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.received: list[str] = []

    def send(self, phone: str, text: str, qr: str | None = None) -> None:
        super().send(phone, text, qr)
        self.received.append(text)


@pytest.mark.parametrize("pickup", ["id_card", "code"])
def test_the_clerk_deposits_a_result_in_a_locker_from_the_case_page(
    pickup: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    chromium: Any,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    case_port = free_port()
    hall_id = new_hall_id()
    settings = controller_settings(
        mosquitto.url,
        tmp_path / "controller",
        hall_id,
        case={"port": case_port},
        controller={"locker_cases": "case-service"},
    )
    rig = start_rig(pulse_seconds=0.05, open_timeout=1.5, left_open_seconds=30)
    gateway = LockerGateway(hall_id, BANK, rig.bank, poll_seconds=0.02)
    sms = Phone(tmp_path / "sms.jsonl")
    factory = functools.partial(LockersExtension, sms=sms, unlock_timeout=4.0)
    app = create_app(settings, [factory])
    try:
        with serving(app) as controller_url:
            gateway.start(mosquitto.url)
            controller_port = controller_url.rsplit(":", 1)[1]
            service = start_hall_process(
                "case-service", case__port=str(case_port), controller__port=controller_port
            )
            assert service.url is not None
            enrol_controller(service.url, settings)  # the controller signs in with its own credential
            with httpx.Client(base_url=service.url, timeout=30) as client:
                clerk = api_token(client, "clerk1")
                case = file_case(client, clerk, ITEM_COMPANY, ID_A, "张三丰", "locker-1")
                hand_in(client, case["id"], ITEM_COMPANY, clerk)  # the papers, so the case can be accepted
                for action, user in (
                    ("accept", "clerk1"),
                    ("start_review", "reviewer1"),
                    ("joint-opinion", "taxreviewer1"),  # 州税务局's, which the decision waits for
                    ("approve", "approver1"),
                    ("make_certificate", "reviewer1"),
                    ("seal", "sealer1"),
                ):
                    headers = clerk if user == "clerk1" else api_token(client, user)
                    body = {"reason": "符合法定条件"} if action == "approve" else {}
                    path = f"/api/v1/cases/{case['id']}/actions/{action}"
                    if action == "joint-opinion":
                        body = {"conclusion": "agree", "opinion": "无涉税异议，同意办理"}
                        path = f"/api/v1/cases/{case['id']}/joint-opinion"
                    done = client.post(path, json=body, headers=headers)
                    assert done.status_code == 200, done.text

                def state() -> str:
                    answer = client.get(f"/api/v1/cases/{case['id']}", headers=clerk).json()
                    return str(answer["state"])

                compartments = f"{controller_url}/api/v1/ext/lockers/compartments"
                assert wait_until(lambda: len(httpx.get(compartments, timeout=5).json()) == 8, timeout=30)

                context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
                page = context.new_page()
                sign_in(page, service.url, "clerk1")
                page.goto(f"{service.url}/web/case/{case['id']}")
                page.select_option("form[action$='/act/release'] select[name=channel]", "locker")
                click_and_wait(page, page.locator("form[action$='/act/release'] button"))
                # The first small compartment's door is jammed: the clerk is told what to do, nothing moves.
                board, lock = rig.firmware(1)
                board.jam(lock)
                page.select_option("#locker select[name=size]", "S")
                click_and_wait(page, page.locator("#locker button"))
                assert "柜门没有打开：请换一个格口再试" in page.inner_text(".flash.error")
                assert state() == "ready_for_release"
                shoot(page, screenshot_dir, "case_locker_fault")
                assert page.input_value("#locker select[name=size]") == "S"  # as chosen
                click_and_wait(page, page.locator("#locker button"))
                message = page.inner_text(".flash.message")
                assert "格口已打开" in message, page.inner_text("main")
                shoot(page, screenshot_dir, "case_locker_open")
                states = {c["number"]: c["state"] for c in httpx.get(compartments, timeout=5).json()}
                assert states[1] == "fault"
                opened = [
                    c
                    for c in httpx.get(compartments, timeout=5).json()
                    if c["state"] not in {"free", "fault"}
                ]
                assert len(opened) == 1 and opened[0]["size"] == "S" and opened[0]["number"] != 1
                assert state() == "ready_for_release"  # the door is open: nothing in it yet

                rig.person_puts_item_and_closes(int(opened[0]["number"]))
                assert wait_until(lambda: state() == "ready_for_pickup", timeout=30)
                page.goto(f"{service.url}/web/case/{case['id']}")
                assert "待取件" in page.inner_text("h1")
                assert f"已存入智能柜格口 {opened[0]['id']}" in page.inner_text("#in-locker")
                shoot(page, screenshot_dir, "case_in_locker")

                # The applicant lays the ID card on the bank's reader, or types the code the SMS gave at
                # the bank's keypad; takes the result and shuts the door.
                number = int(opened[0]["number"])
                board, lock = rig.firmware(number)
                if pickup == "code":

                    def texts() -> list[str]:  # the outbox sends after the case is ready
                        return [text for text in sms.received if f"第 {number} 格" in text]

                    assert wait_until(lambda: bool(texts()), timeout=30), sms.received
                    found = re.search(r"取件码 (\d{6,})", texts()[-1])
                    assert found, sms.received
                    assert found.group(1) not in (tmp_path / "sms.jsonl").read_text("utf-8")
                    gateway.enter(lockers.PickupMethod.CODE, found.group(1))
                else:
                    gateway.enter(lockers.PickupMethod.ID_CARD, ID_A)
                assert wait_until(lambda: board.truly_open(lock), timeout=30)
                rig.person_takes_item_and_closes(number)
                assert wait_until(lambda: state() == "delivered", timeout=30)

                def compartment_state() -> str:
                    listed = httpx.get(compartments, timeout=5).json()
                    return str(next(c["state"] for c in listed if c["number"] == number))

                assert wait_until(lambda: compartment_state() == "free"), compartment_state()
                stored = client.get(f"/api/v1/cases/{case['id']}", headers=clerk).json()
                delivered = stored["delivery_receipt"]["delivered"]
                assert delivered["method"] == "locker" and delivered["identified_by"] == pickup
                assert delivered["compartment"] == number
                page.goto(f"{service.url}/web/case/{case['id']}")
                assert "已送达" in page.inner_text("h1")
                href = page.locator("#documents a", has_text="送达回证").get_attribute("href")
                assert "智能柜自助送达" in pdf_text(page, href) and ID_A not in pdf_text(page, href)
                context.close()
            gateway.stop()
    finally:
        rig.stop()

"""The queue desk in the case service's staff app: one sign-in, the buttons call the real hall controller
(a `hall controller` process over Mosquitto) through the case service, and calling a ticket taken for a
case opens that applicant's open cases. Clicked in Chromium at 1366×768."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.case_service.conftest import ID_A, ID_B, ITEM_COMPANY, ITEM_FOOD
from tests.case_service.web.test_pages import api_token, click_and_wait, file_case, sign_in
from tests.case_service.web.test_window_desk import shoot
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import new_hall_id

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_clerk_calls_a_ticket_and_sees_the_applicants_cases(
    mosquitto: Broker, start_hall_process: Any, chromium: Any, screenshot_dir: Path
) -> None:
    controller = start_hall_process("controller", mqtt_url=mosquitto.url, hall_id=new_hall_id())
    port = controller.url.rsplit(":", 1)[1]
    service = start_hall_process("case-service", controller__port=port)
    queue = f"{controller.url}/api/v1/ext/queue"
    with httpx.Client(base_url=service.url, timeout=30) as client:
        clerk = api_token(client, "clerk1")
        mine = file_case(client, clerk, ITEM_COMPANY, ID_A, "张三丰", "desk-1")
        also_mine = file_case(client, clerk, ITEM_FOOD, ID_A, "张三丰", "desk-2")
        other = file_case(client, clerk, ITEM_FOOD, ID_B, "李四", "desk-3")
    issued = httpx.post(
        f"{queue}/tickets",
        json={"service": "business", "source": "window", "case_id": str(mine["id"]), "print_slip": False},
        headers=clerk,
        timeout=10,
    )
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]

    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, service.url, "clerk1")
    click_and_wait(page, page.locator("header a", has_text="窗口叫号"))
    assert "未签到" in page.inner_text("h1")
    click_and_wait(page, page.locator("#keys button", has_text="叫下一号"))
    assert "请先签到" in page.inner_text(".flash.error")  # the controller's refusal, in Chinese

    click_and_wait(page, page.locator("#keys button", has_text="签到"))
    assert "签到: clerk1" in page.inner_text("h1")
    click_and_wait(page, page.locator("#keys button", has_text="叫下一号"))
    assert page.inner_text("#current") == number
    listed = page.inner_text("#person-cases")
    assert mine["number"] in listed and also_mine["number"] in listed and other["number"] not in listed
    assert ID_A not in page.content()
    shoot(page, screenshot_dir, "queue_desk")

    click_and_wait(page, page.locator("#keys button", has_text="重呼"))
    assert f"重呼 {number}" in page.inner_text(".flash.message")
    click_and_wait(page, page.locator("#keys button", has_text="开始办理"))
    page.fill("form[action$='/finish'] input[name=case_id]", str(mine["id"]))
    click_and_wait(page, page.locator("form[action$='/finish'] button"))
    assert page.inner_text("#current") == "—"

    ticket = httpx.get(f"{queue}/tickets/{number}", timeout=10).json()
    assert ticket["state"] == "finished" and ticket["visits"][0]["clerk"] == "clerk1"
    assert ticket["visits"][0]["outcome"] == "办结"
    # The public ticket view does not link the ticket to its case; the window view is for clerks.
    assert "case_id" not in ticket
    assert httpx.get(f"{queue}/windows/1", timeout=10).status_code == 401

    # A ticket bound to a person by the ID card (no case): calling it opens that person's open cases.
    second = httpx.post(
        f"{queue}/tickets",
        json={"service": "business", "source": "window", "id_number": ID_B, "print_slip": False},
        headers=clerk,
        timeout=10,
    ).json()["number"]
    click_and_wait(page, page.locator("#keys button", has_text="叫下一号"))
    assert page.inner_text("#current") == second
    listed = page.inner_text("#person-cases")
    assert other["number"] in listed and mine["number"] not in listed and ID_B not in page.content()

    # Transfer: this applicant needs another service; the ticket waits there again.
    page.fill("form[action$='/transfer'] input[name=service]", "social")
    click_and_wait(page, page.locator("form[action$='/transfer'] button"))
    moved = httpx.get(f"{queue}/tickets/{second}", timeout=10).json()
    assert (moved["service"], moved["state"]) == ("social", "waiting")
    assert page.inner_text("#current") == "—"
    click_and_wait(page, page.locator("form[action$='/pause'] button"))
    state = httpx.get(f"{queue}/state", timeout=10).json()
    assert [w["paused"] for w in state["windows"] if w["window"] == 1] == ["临时离开"]

    # Not signed in: the desk sends you to the login page and calls nothing.
    context.clear_cookies()
    page.goto(f"{service.url}/web/desk/queue")
    assert "/web/login" in page.url
    context.close()

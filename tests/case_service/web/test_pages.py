"""The staff pages in headless Chromium against a real `hall case-service` process, with screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from case_service.bootstrap import demo_password
from tests.case_service.conftest import ID_A, ID_B, ITEM_COMPANY, ITEM_FOOD
from tests.fixtures.materials import hand_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def click_and_wait(page: Any, target: Any) -> None:
    """Every button posts a form; wait for the page it leads to before looking."""
    with page.expect_navigation():
        target.click()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/web/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password(username))
    click_and_wait(page, page.locator("button[type=submit]"))


def api_token(client: httpx.Client, username: str) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def file_case(
    client: httpx.Client, clerk: dict[str, str], item: str, id_number: str, name: str, key: str
) -> Any:
    answer = client.post(
        "/api/v1/cases",
        json={"item_code": item, "applicant": {"name": name, "id_number": id_number, "phone": "13912345678"}},
        headers={**clerk, "Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_clerk_reviewer_approver_sealer_and_supervision_pages(
    start_hall_process: Any, page: Any, screenshot_dir: Path
) -> None:
    service = start_hall_process("case-service")
    base = service.url
    with httpx.Client(base_url=base, timeout=30) as client:
        clerk = api_token(client, "clerk1")
        first = file_case(client, clerk, ITEM_COMPANY, ID_A, "张三丰", "web-1")
        second = file_case(client, clerk, ITEM_FOOD, ID_B, "李四", "web-2")

    # Not signed in: the pages send you to the login form.
    page.goto(f"{base}/web/work")
    assert page.url.startswith(f"{base}/web/login")
    page.fill("input[name=username]", "clerk1")
    page.fill("input[name=password]", "wrong")
    click_and_wait(page, page.locator("button[type=submit]"))
    assert "用户名或密码错误" in page.content()

    sign_in(page, base, "clerk1")
    assert page.url.endswith("/web/work")
    body = page.inner_text("body")
    assert "待受理" in body and first["number"] in body and second["number"] in body
    assert ID_A not in page.content() and "110***********" in body  # ID numbers masked
    assert "13912345678" not in page.content() and "139****5678" in body
    assert "缺少" in body and "公司章程" in body  # the completeness check shown at the desk
    page.screenshot(path=str(screenshot_dir / "case_service_clerk_desk.png"), full_page=True)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshot_dir / f"window_work_list_{width}.png"), full_page=True)

    row = page.locator("tr", has_text=first["number"])
    click_and_wait(page, row.locator("form[action$='/accept'] button"))  # nothing handed in yet: refused
    assert "申请材料不齐全" in page.inner_text(".flash.error") and "公司章程" in page.inner_text(
        ".flash.error"
    )
    with httpx.Client(base_url=base, timeout=30) as client:
        hand_in(client, first["id"], ITEM_COMPANY, clerk)
    page.goto(f"{base}/web/work")
    row = page.locator("tr", has_text=first["number"])
    click_and_wait(page, row.locator("form[action$='/accept'] button"))
    assert f"{first['number']} 受理: 办件现为" in page.inner_text(".flash.message")
    assert page.url.endswith("/web/work")  # the work list's buttons post to the case page's one handler
    page.goto(f"{base}/web/work")
    row = page.locator("tr", has_text=second["number"])
    row.locator("input[name=reason]").fill("不属于本机关职权范围")
    click_and_wait(page, row.locator("form[action$='/not_accept'] button"))
    assert f"{second['number']} 不予受理: 办件现为" in page.inner_text(".flash.message")

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "reviewer1")
    row = page.locator("tr", has_text=first["number"])
    click_and_wait(page, row.locator("form[action$='/start_review'] button"))
    page.screenshot(path=str(screenshot_dir / "case_service_reviewer_list.png"), full_page=True)

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    body = page.inner_text("body")
    assert "待决定" in body and first["number"] in body
    page.screenshot(path=str(screenshot_dir / "case_service_approver_list.png"), full_page=True)
    approve = page.locator("tr", has_text=first["number"]).locator("form[action$='/approve'] button")
    click_and_wait(page, approve)  # the item's joint department (州税务局) has not spoken yet: refused
    assert "联办部门尚未提出意见: 州税务局" in page.inner_text(".flash.error")

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "taxreviewer1")
    page.goto(f"{base}/web/joint")
    click_and_wait(page, page.locator("#joint-tasks a", has_text=first["number"]))
    page.fill("#joint-form textarea[name=opinion]", "无涉税异议，同意办理")
    click_and_wait(page, page.locator("#joint-form button"))
    assert "州税务局联办意见已提交" in page.inner_text(".flash.message")

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    approve = page.locator("tr", has_text=first["number"]).locator("form[action$='/approve'] button")
    click_and_wait(page, approve)
    assert f"{first['number']} 准予许可: 办件现为" in page.inner_text(".flash.message")

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "manager1")
    assert page.url.endswith("/web/supervision")
    body = page.inner_text("body")
    assert "电子监察" in body and "各部门" in body
    page.screenshot(path=str(screenshot_dir / "case_service_supervision.png"), full_page=True)


def test_a_clerk_cannot_approve_from_a_forged_form(start_hall_process: Any) -> None:
    service = start_hall_process("case-service")
    with httpx.Client(base_url=service.url, timeout=30, follow_redirects=False) as client:
        clerk = api_token(client, "clerk1")
        case = file_case(client, clerk, ITEM_FOOD, ID_A, "张三", "web-3")
        hand_in(client, case["id"], ITEM_FOOD, clerk)
        client.post(f"/api/v1/cases/{case['id']}/actions/accept", json={}, headers=clerk)
        reviewer = api_token(client, "reviewer1")
        client.post(f"/api/v1/cases/{case['id']}/actions/start_review", json={}, headers=reviewer)
        client.cookies.set("hall_case_token", clerk["Authorization"].split()[1])
        answer = client.post(f"/web/case/{case['id']}/act/approve", data={"back": "work"})
        assert answer.status_code == 303 and answer.headers["location"] == "/web/work"
        assert "您没有办理此操作的权限" in client.get("/web/work").text
        # The old work-list route is gone: one handler for every action button.
        assert client.post(f"/web/cases/{case['id']}/approve", data={}).status_code in (404, 405)
        state = client.get(f"/api/v1/cases/{case['id']}", headers=clerk).json()["state"]
        assert state == "in_review"


ITEM_ON_THE_SPOT = "513200-XK-SJ-0510"  # 即办件 in the bundled catalogue
ITEM_FORWARDED = "513200-SZ-SJ-0902"


def test_the_work_pages_show_each_flows_buttons(
    start_hall_process: Any, page: Any, screenshot_dir: Path
) -> None:
    service = start_hall_process("case-service")
    base = service.url
    with httpx.Client(base_url=base, timeout=30) as client:
        clerk, reviewer = api_token(client, "clerk1"), api_token(client, "reviewer1")
        forwarded_item = {
            "name": "审核转报测试事项",
            "department": "州市场监管局",
            "kind": "审核转报",
            "category": "经营类",
            "materials": [{"name": "申请书", "required": True}],
            "legal_limit_days": 20,
            "promised_limit_days": 10,
            "higher_authority": "四川省市场监督管理局",
        }
        answer = client.put(
            f"/api/v1/items/{ITEM_FORWARDED}", json=forwarded_item, headers=api_token(client, "admin")
        )
        assert answer.status_code == 200, answer.text
        spot = file_case(client, clerk, ITEM_ON_THE_SPOT, ID_A, "张三丰", "flows-1")
        hand_in(client, spot["id"], ITEM_ON_THE_SPOT, clerk)
        relay = file_case(client, clerk, ITEM_FORWARDED, ID_B, "李四", "flows-2")
        hand_in(client, relay["id"], ITEM_FORWARDED, clerk)
        for action, token in (("accept", clerk), ("start_review", reviewer)):
            moved = client.post(f"/api/v1/cases/{relay['id']}/actions/{action}", json={}, headers=token)
            assert moved.status_code == 200, moved.text

    sign_in(page, base, "clerk1")
    row = page.locator("tr", has_text=spot["number"])
    assert row.locator("form[action$='/accept']").count() == 0  # registered, not accepted for review
    page.screenshot(path=str(screenshot_dir / "case_service_clerk_desk_on_the_spot.png"), full_page=True)
    click_and_wait(page, row.locator("form[action$='/register'] button"))
    assert f"{spot['number']} 受理并当场办结: 办件现为" in page.inner_text(".flash.message")

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "reviewer1")
    row = page.locator("tr", has_text=relay["number"])
    assert row.locator("form[action$='/approve']").count() == 0
    row.locator("input[name=reason]").fill("初审通过,同意上报")
    page.screenshot(path=str(screenshot_dir / "case_service_reviewer_forward.png"), full_page=True)
    click_and_wait(page, row.locator("form[action$='/forward'] button"))
    assert f"{relay['number']} 初审通过并转报上级机关: 办件现为" in page.inner_text(".flash.message")

    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    assert "已转报" in page.inner_text("body") and relay["number"] in page.inner_text("body")
    page.screenshot(path=str(screenshot_dir / "case_service_clerk_forwarded.png"), full_page=True)
    with httpx.Client(base_url=base, timeout=30) as client:
        states = [client.get(f"/api/v1/cases/{case['id']}", headers=clerk).json() for case in (spot, relay)]
    assert [(case["state"], case["flow"]) for case in states] == [
        ("registered", "registration"),
        ("forwarded", "forwarding"),
    ]
    assert states[1]["forwarding"]["opinion"] == "初审通过,同意上报"

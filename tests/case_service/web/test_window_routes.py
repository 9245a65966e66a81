"""The routes behind the window pages' buttons (the journeys in test_window_desk.py click them): who may
use them, what a forged form gets, and the agent's hand-over on the 送达回证."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from typing import Any

import pytest
from fastapi.testclient import TestClient

from case_service.api.deps import TOKEN_COOKIE
from case_service.domain.identity import make_id_number
from case_service.web import window_devices
from tests.case_service.conftest import ID_A, ID_B, ITEM_FOOD, CaseApi
from tests.case_service.web.test_window_desk import sealed_case

pytestmark = pytest.mark.integration
ITEM_EDUCATION = "513200-XK-JY-0036"  # 州教育局: outside reviewer1's department


def as_user(api: CaseApi, username: str | None) -> TestClient:
    client = api.client
    client.cookies.clear()
    if username is not None:
        client.cookies.set(TOKEN_COOKIE, api.staff(username)["Authorization"].split()[1])
    return client


def state_of(api: CaseApi, case: dict[str, Any]) -> str:
    answer = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1"))
    state: str = answer.json()["state"]
    return state


def test_a_stranger_is_sent_to_sign_in_and_changes_nothing(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_FOOD)
    client = as_user(api, None)
    for path in (f"/web/case/{case['id']}", "/web/desk", "/web/desk/queue"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/web/login")
    for path, form in (
        (f"/web/case/{case['id']}/act/accept", {}),
        (f"/web/case/{case['id']}/notes", {"body": "x"}),
        (f"/web/case/{case['id']}/mail", {"address": "x", "carrier": "顺丰速运", "waybill": "SF12345678"}),
        (f"/web/case/{case['id']}/mail/delivered", {"signed_by": "x"}),
        (f"/web/case/{case['id']}/handover", {"id_number": ID_A}),
        (f"/web/case/{case['id']}/higher-result", {"outcome": "approved", "result_on": "2025-09-26"}),
        ("/web/desk/queue/next", {"window": "1"}),
    ):
        answer = client.post(path, data=form, follow_redirects=False)
        # Signed out (or the session expired): sign in, then back to the page, not to the form's path.
        assert answer.status_code == 303 and answer.headers["location"] in (
            f"/web/login?next=/web/case/{case['id']}",
            "/web/login?next=/web/desk/queue%3Fwindow%3D1",
        )
    assert state_of(api, case) == "submitted"
    # An applicant's token in the cookie is not a staff sign-in either.
    client.cookies.set(TOKEN_COOKIE, api.applicant("张三", ID_A)["Authorization"].split()[1])
    answer = client.get(f"/web/case/{case['id']}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/web/login")


def test_department_staff_see_and_find_only_their_departments_cases(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    ours = api.file_case(ITEM_FOOD, name="张三")
    theirs = api.file_case(ITEM_EDUCATION, name="李四", id_number=ID_B)
    client = as_user(api, "reviewer1")
    listed = client.get("/web/desk").text
    assert ours["number"] in listed and theirs["number"] not in listed
    assert theirs["number"] not in client.get("/web/desk", params={"q": "李四"}).text
    refused = client.get(f"/web/case/{theirs['id']}")
    assert refused.status_code == 200 and "不在您的办理范围内" in refused.text and "李四" not in refused.text
    assert client.post(f"/web/case/{theirs['id']}/notes", data={"body": "看看"}).status_code == 200
    page = as_user(api, "clerk1").get(f"/web/case/{theirs['id']}").text
    assert "看看" not in page


def test_a_forged_form_cannot_act_beyond_the_users_role(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = sealed_case(api, "张三")
    reviewer = as_user(api, "reviewer1")
    answer = reviewer.post(f"/web/case/{case['id']}/act/release", data={"channel": "window"})
    assert answer.status_code == 200 and state_of(api, case) == "sealed"
    assert "您没有办理此操作的权限" in answer.text
    clerk = as_user(api, "clerk1")
    page = clerk.get(f"/web/case/{case['id']}").text
    assert f'action="/web/case/{case["id"]}/act/release"' in page and "/act/approve" not in page
    clerk.post(f"/web/case/{case['id']}/act/release", data={"channel": "window"})
    reviewer = as_user(api, "reviewer1")
    answer = reviewer.post(f"/web/case/{case['id']}/handover", data={"id_number": ID_A})
    assert "您没有办理此操作的权限" in answer.text and state_of(api, case) == "ready_for_release"


def test_an_agent_collects_with_a_checked_authorisation(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = sealed_case(api, "张三丰")
    client = as_user(api, "clerk1")
    client.post(f"/web/case/{case['id']}/act/release", data={"channel": "window"})
    agent = {"who": "agent", "agent_name": "王五", "agent_id_number": make_id_number("32010219800101123")}
    answer = client.post(f"/web/case/{case['id']}/handover", data=agent)
    assert "授权委托书" in answer.text and state_of(api, case) == "ready_for_release"
    answer = client.post(f"/web/case/{case['id']}/handover", data={**agent, "agent_id_number": "123"})
    assert "18" in answer.text and state_of(api, case) == "ready_for_release"
    client.post(f"/web/case/{case['id']}/handover", data={**agent, "authorisation": "yes"})
    stored = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    delivered = stored["delivery_receipt"]["delivered"]
    assert stored["state"] == "delivered" and delivered["signed_by"] == "王五(代领人)"
    assert delivered["authorisation"] == "授权委托书已核验"
    assert delivered["agent_id"] == "320***********" + agent["agent_id_number"][-4:]
    pdf = client.get(f"/api/v1/cases/{case['id']}/documents/service_receipt.pdf").content
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "王五(代领人)" in text and "张三丰" in text and "直接送达" in text and "综合窗口 王芳" in text


def test_withdrawal_needs_a_reason_and_is_recorded(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_FOOD)
    client = as_user(api, "clerk1")
    assert "撤回申请" in client.get(f"/web/case/{case['id']}").text
    client.post(f"/web/case/{case['id']}/act/withdraw", data={"reason": "申请人书面申请撤回"})
    stored = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "withdrawn"
    page = client.get(f"/web/case/{case['id']}").text
    assert "申请人书面申请撤回" in page and "/act/withdraw" not in page  # in the timeline, not a button


def test_a_link_cannot_put_words_in_the_banner(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_FOOD)
    client = as_user(api, "clerk1")
    forged = "系统升级，请拨打 400-000-0000 核验身份"
    for path in (f"/web/case/{case['id']}", "/web/desk", "/web/desk/queue"):
        page = client.get(path, params={"error": forged, "message": forged}).text
        assert forged not in page and "flash message" not in page
    # The page's own message after a form: shown once, then gone.
    shown = client.post(f"/web/case/{case['id']}/notes", data={"body": "已电话联系申请人"}).text
    assert '<div class="flash message">备注已保存</div>' in shown
    assert "备注已保存" not in client.get(f"/web/case/{case['id']}").text


def test_a_deadline_in_a_year_not_yet_announced_is_marked_estimated(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    api.clock.today = dt.date(2026, 12, 24)
    case = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    assert case["decision_due_on"] == "2027-01-07" and case["due_estimated"]
    client = as_user(api, "clerk1")
    page = client.get(f"/web/case/{case['id']}").text
    row = page[page.index("承诺办结") :].split("</tr>")[0]
    assert "2027-01-07" in row and "预计" in row
    assert f"剩余{case['deadline']['working_days_left']}个工作日" in row  # as the API counts them
    listed = client.get("/web/desk", params={"q": case["number"]}).text
    assert '<span class="estimated">预计</span>' in listed


def test_the_work_list_search_filters_and_order_on_both_databases(case_api: CaseApi) -> None:
    api = case_api
    late = api.act(api.file_case(ITEM_FOOD, name="王_五%")["id"], "accept", "clerk1")
    api.clock.today = dt.date(2025, 10, 20)
    other_id = make_id_number("32010219800101123")
    fresh = api.file_case(ITEM_FOOD, name="赵六", id_number=other_id)
    client = as_user(api, "clerk1")

    def numbers(**params: str) -> list[str]:
        page = client.get("/web/desk", params=params).text
        return re.findall(r'<a href="/web/case/\d+">([^<]+)</a>', page)

    assert numbers() == [late["number"], fresh["number"]]  # the overdue one first
    assert numbers(sort="newest") == [fresh["number"], late["number"]]
    assert numbers(overdue="1") == [late["number"]]
    assert numbers(q=other_id[-4:]) == [fresh["number"]]  # the encrypted ID's last digits
    assert numbers(q="王_五%") == [late["number"]] and numbers(q="_") == [late["number"]]  # LIKE escaped
    assert numbers(q="%") == [late["number"]]
    assert numbers(q=fresh["number"][-6:]) == [fresh["number"]]
    assert numbers(state="accepted") == [late["number"]]
    assert numbers(item="513200-XK-SJ-0511") == []


def test_a_case_filed_elsewhere_records_the_window_that_accepts_it(
    sqlite_api: CaseApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window is asked of the controller with the clerk's own token (window_devices.clerk_window, a
    stand-in here; the filing's journey in test_window_devices.py asks the real controller)."""
    api = sqlite_api
    case = api.file_case(ITEM_FOOD)  # through the API: no window recorded, as a kiosk's or online filing
    assert case["received_window"] is None
    asked: list[str] = []
    windows = iter([7, 9])

    def clerk_window(_services: object, token: str) -> int:
        asked.append(token)
        return next(windows)

    monkeypatch.setattr(window_devices, "clerk_window", clerk_window)
    client = as_user(api, "clerk1")
    answer = client.post(f"/web/case/{case['id']}/act/accept", follow_redirects=False)
    assert answer.status_code == 303
    accepted = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert accepted["state"] == "accepted" and accepted["received_window"] == 7
    assert asked == [api.staff("clerk1")["Authorization"].split()[1]]
    # A later step (the reviewer's) neither asks for a window nor moves it.
    client = as_user(api, "reviewer1")
    assert client.post(f"/web/case/{case['id']}/act/start_review", follow_redirects=False).status_code == 303
    again = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert again["state"] == "in_review" and again["received_window"] == 7 and len(asked) == 1


def test_a_clerk_filing_through_the_api_gives_the_window(sqlite_api: CaseApi) -> None:
    """A window's own client (the soak's windows) files with `window`: the case records it; out of range,
    or with an applicant token, it is refused in the error shape."""
    api = sqlite_api
    filed = {"item_code": ITEM_FOOD, "channel": "window", "applicant": {"name": "张三", "id_number": ID_A}}
    answer = api.client.post(
        "/api/v1/cases", json={**filed, "window": 4}, headers={**api.staff("clerk1"), **api.key()}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["received_window"] == 4
    refused = api.client.post(
        "/api/v1/cases", json={**filed, "window": 0}, headers={**api.staff("clerk1"), **api.key()}
    )
    assert refused.status_code == 422 and "window" in refused.text
    # An applicant's own filing (kiosk) names no window: the window is where staff receive it.
    kiosk = api.client.post(
        "/api/v1/cases",
        json={"item_code": ITEM_FOOD, "channel": "kiosk", "window": 2},
        headers={**api.applicant(), **api.key()},
    )
    assert kiosk.status_code == 422 and "not with an applicant token" in kiosk.text, kiosk.text

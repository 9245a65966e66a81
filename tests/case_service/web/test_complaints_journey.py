"""投诉 in Chromium against the real service: the window registers a complaint about a case, the
department head answers, the window tells the complainant; the record and the audit trail read back; a
reviewer and a stranger cannot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry, Complaint
from tests.case_service.conftest import ITEM_COMPANY, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]


def records(api: CaseApi) -> tuple[list[Complaint], list[tuple[str, str]]]:
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        found = list(session.scalars(select(Complaint).order_by(Complaint.id)))
        entries = [
            (entry.action, entry.actor)
            for entry in session.scalars(
                select(AuditEntry).where(AuditEntry.subject_type == "complaint").order_by(AuditEntry.seq)
            )
        ]
        session.expunge_all()
    return found, entries


def test_register_answer_and_tell(live: tuple[str, CaseApi], page: Any, screenshot_dir: Path) -> None:
    base, api = live
    case = api.file_case(ITEM_COMPANY, name="王五")  # 州市场监管局, filed 26 September 2025

    sign_in(page, base, "clerk1")
    click_and_wait(page, page.locator("header a", has_text="投诉"))
    form = page.locator("#register")
    # Neither a case nor a department: refused, nothing recorded.
    form.locator("input[name=complainant]").fill("王五")
    form.locator("textarea[name=summary]").fill("等候时间过长")
    click_and_wait(page, form.locator("button"))
    assert "不在事项目录中" in page.inner_text(".flash.error")
    assert records(api)[0] == []

    form = page.locator("#register")
    form.locator("select[name=channel]").select_option("window")
    form.locator("input[name=case_number]").fill(case["number"])
    form.locator("input[name=complainant]").fill("王五")
    form.locator("textarea[name=summary]").fill("补正告知没有一次说清,多跑了一次")
    click_and_wait(page, form.locator("button"))
    # Five working days from Friday 26 September 2025, over the swapped Sunday and National Day.
    assert "转 州市场监管局,2025-10-10 前答复" in page.inner_text(".flash.message")
    (complaint,), entries = records(api)
    assert (complaint.case_id, complaint.department, complaint.channel, complaint.complainant) == (
        case["id"],
        "州市场监管局",
        "window",
        "王五",
    )
    assert complaint.received_on == dt.date(2025, 9, 26) and complaint.reply_by == dt.date(2025, 10, 10)
    assert entries == [("complaint.register", "staff:clerk1")]
    row = page.locator(f"#complaints tr[data-complaint='{complaint.id}']")
    assert "待答复" in row.inner_text() and row.locator("form.answer").count() == 0
    # The window cannot answer for the department, even with a forged form.
    forged = page.request.post(
        f"{base}/web/complaints/{complaint.id}/answer", form={"answer": "forged"}, max_redirects=0
    )
    assert forged.status == 403

    # The department head answers (after the reply date: the record says late, the page overdue before).
    api.clock.today = dt.date(2025, 10, 13)
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    page.goto(f"{base}/web/complaints")
    row = page.locator(f"#complaints tr[data-complaint='{complaint.id}']")
    assert "逾期未答复" in row.inner_text()
    row.locator("input[name=answer]").fill("已约谈经办人,补正告知一次性列明")
    click_and_wait(page, row.locator("button", has_text="答复"))
    assert "已答复" in page.inner_text(".flash.message")
    (complaint,), entries = records(api)
    assert (complaint.answer, complaint.answered_by, complaint.answered_on) == (
        "已约谈经办人,补正告知一次性列明",
        "approver1",
        dt.date(2025, 10, 13),
    )
    assert entries[-1] == ("complaint.answer", "staff:approver1")

    # The window tells the complainant.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/complaints")
    row = page.locator(f"#complaints tr[data-complaint='{complaint.id}']")
    row.locator("select[name=how]").select_option("phone")
    click_and_wait(page, row.locator("button", has_text="已告知"))
    (complaint,), entries = records(api)
    assert (complaint.told_on, complaint.told_how) == (dt.date(2025, 10, 13), "phone")
    assert entries[-1] == ("complaint.tell", "staff:clerk1")
    assert "已办结" in page.inner_text(f"#complaints tr[data-complaint='{complaint.id}'] td.status")
    page.screenshot(path=str(screenshot_dir / "complaints.png"), full_page=True)

    # A reviewer reads no complaints and registers none; a stranger is sent to sign in.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "reviewer1")
    answer = page.goto(f"{base}/web/complaints")
    assert answer is not None and answer.status == 403
    forged = page.request.post(
        f"{base}/web/complaints",
        form={"channel": "window", "complainant": "x", "summary": "x", "department": "州市场监管局"},
        max_redirects=0,
    )
    assert forged.status == 403
    page.goto(f"{base}/web/logout")
    stranger = page.request.post(
        f"{base}/web/complaints/{complaint.id}/tell", form={"how": "sms"}, max_redirects=0
    )
    assert stranger.status == 303 and "/web/login" in stranger.headers["location"]
    assert len(records(api)[0]) == 1 and records(api)[0][0].told_how == "phone"


def test_the_halls_manager_answers_a_complaint_about_the_hall(
    live: tuple[str, CaseApi], page: Any, screenshot_dir: Path
) -> None:
    """Two complaints about the hall filed at a kiosk (one with a contact phone, one anonymous): the
    manager sees them with the phone masked and answers both; the one with a phone is told by the window,
    the anonymous one is closed at once (nobody to tell). A department head sees neither and cannot answer
    (forged form); a stranger is sent to sign in."""
    base, api = live
    kiosk = api.device()
    office = api.settings.case.hall_office
    for body in (
        {"channel": "kiosk", "topic": "waiting", "contact_phone": "13912345678"},
        {"channel": "kiosk", "topic": "cleanliness"},
    ):
        filed = api.client.post("/api/v1/complaints", json=body, headers={**kiosk, **api.key()})
        assert filed.status_code == 201, filed.text
    (told, anonymous), _entries = records(api)

    # A department head reads only their department's: neither is listed, a forged answer is refused.
    sign_in(page, base, "approver1")
    page.goto(f"{base}/web/complaints")
    assert page.locator(f"#complaints tr[data-complaint='{told.id}']").count() == 0
    forged = page.request.post(
        f"{base}/web/complaints/{told.id}/answer", form={"answer": "forged"}, max_redirects=0
    )
    assert forged.status == 403
    assert records(api)[0][0].answer is None
    page.goto(f"{base}/web/logout")

    sign_in(page, base, "manager1")
    page.goto(f"{base}/web/complaints")
    row = page.locator(f"#complaints tr[data-complaint='{told.id}']")
    text = row.inner_text()
    assert office in text and "对大厅投诉" in text and "排队等候时间过长" in text
    assert "139****5678" in text and "13912345678" not in page.content()
    assert "待答复" in text
    row.locator("input[name=answer]").fill("已在高峰时段增开两个综合窗口")
    click_and_wait(page, row.locator("button", has_text="答复"))
    assert "已答复" in page.inner_text(".flash.message")
    row = page.locator(f"#complaints tr[data-complaint='{anonymous.id}']")
    assert "未留电话" in row.inner_text()
    row.locator("input[name=answer]").fill("已加派保洁人员")
    click_and_wait(page, row.locator("button", has_text="答复"))
    row = page.locator(f"#complaints tr[data-complaint='{anonymous.id}']")
    assert "已办结" in row.inner_text() and "匿名,无法告知" in row.inner_text()
    assert row.locator("form.tell").count() == 0
    row = page.locator(f"#complaints tr[data-complaint='{told.id}']")
    assert "已答复待告知" in row.inner_text()
    row.locator("select[name=how]").select_option("phone")
    click_and_wait(page, row.locator("button", has_text="已告知"))
    assert "已办结" in page.inner_text(f"#complaints tr[data-complaint='{told.id}'] td.status")
    page.screenshot(path=str(screenshot_dir / "complaints-about-the-hall.png"), full_page=True)
    (told, anonymous), entries = records(api)
    assert (told.answered_by, told.told_how, anonymous.answered_by, anonymous.told_on) == (
        "manager1",
        "phone",
        "manager1",
        None,
    )
    assert entries[-3:] == [
        ("complaint.answer", "staff:manager1"),
        ("complaint.answer", "staff:manager1"),
        ("complaint.tell", "staff:manager1"),
    ]
    # Telling the anonymous one, by a forged form, is refused.
    forged = page.request.post(
        f"{base}/web/complaints/{anonymous.id}/tell", form={"how": "sms"}, max_redirects=0
    )
    assert forged.status == 303  # refused in words on the page: nobody to tell
    assert records(api)[0][1].told_on is None
    page.goto(f"{base}/web/logout")
    stranger = page.request.post(
        f"{base}/web/complaints/{told.id}/answer", form={"answer": "x"}, max_redirects=0
    )
    assert stranger.status == 303 and "/web/login" in stranger.headers["location"]

"""现场核查 clicked in Chromium against a real case service (uvicorn in a thread, its clock moved by the
test): the approver finds the decision held by the item's required visit, schedules one with two
inspectors (one is refused), the applicant's 现场核查通知书 is issued; the inspector records a point not
met, a photo and 整改后复查 — the decision is still held; a re-inspection is scheduled and recorded 符合;
the approver decides. The stored visits, the audit entries and both PDFs' text are asserted."""

from __future__ import annotations

import datetime as dt
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry, Case, CaseDocument, CaseSiteVisit
from tests.case_service.conftest import CaseApi
from tests.case_service.web.test_back_office import _flat, _open_case, _pdf_text, staff_page
from tests.case_service.web.test_pages import click_and_wait
from tests.case_service.web.test_supervision_page import live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live", "staff_page"]

ITEM = "513200-XK-SJ-0517"  # 计量标准器具核准: site_visit, 州市场监管局, the approver decides alone
PLACE = "西昌市航天大道三段18号 𠮷祥计量站"


def _records(api: CaseApi, case_id: int) -> tuple[Case, list[CaseSiteVisit], list[AuditEntry], list[Any]]:
    engine = create_engine(str(api.settings.database_url))
    with Session(engine, expire_on_commit=False) as session:
        case = session.get(Case, case_id)
        assert case is not None
        visits = list(
            session.scalars(
                select(CaseSiteVisit).where(CaseSiteVisit.case_id == case_id).order_by(CaseSiteVisit.id)
            )
        )
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.subject_id == str(case_id)).order_by(AuditEntry.seq)
            )
        )
        notices = list(
            session.scalars(
                select(CaseDocument).where(
                    CaseDocument.case_id == case_id, CaseDocument.kind == "site_visit_notice"
                )
            )
        )
        session.expunge_all()
    engine.dispose()
    return case, visits, entries, notices


def _schedule(page: Any, day: dt.date, inspectors: list[str]) -> None:
    form = page.locator("#site-visit-form")
    form.locator("input[name=visit_on]").fill(day.isoformat())
    form.locator("input[name=place]").fill(PLACE)
    for name in inspectors:
        form.locator(f"input[name=inspector][value={name}]").check()
    click_and_wait(page, form.locator("button"))


def _record(
    page: Any, not_met: dict[int, str], conclusion: str, summary: str = "", photo: Path | None = None
) -> None:
    form = page.locator("#site-visit-record")
    selects = form.locator("select[name=met]")
    for index in range(selects.count()):
        if index in not_met:
            selects.nth(index).select_option("no")
            form.locator("input[name=note]").nth(index).fill(not_met[index])
        else:
            selects.nth(index).select_option("yes")
    if photo is not None:
        form.locator("input[name=photo]").set_input_files(str(photo))
    form.locator("select[name=conclusion]").select_option(conclusion)
    form.locator("textarea[name=summary]").fill(summary)
    click_and_wait(page, form.locator("button"))


def _decide(page: Any) -> None:
    for chooser in page.locator("#opinion-form select[name=met]").all():
        chooser.select_option("yes")
    page.select_option("#opinion-form select[name=conclusion]", "agree")
    page.fill("#opinion-form textarea[name=opinion]", "现场核查符合要求，准予许可。")
    click_and_wait(page, page.locator("#opinion-form button"))


def test_a_site_visit_scheduled_rectified_re_inspected_and_the_case_decided(
    live: tuple[str, CaseApi], staff_page: Any, screenshot_dir: Path, tmp_path: Path
) -> None:
    base, api = live
    page = staff_page
    case = api.file_case(ITEM, name="凉山计量检测所")
    api.act(case["id"], "accept", "clerk1")  # Friday 26 Sep 2025

    # The reviewer starts the review; the approver finds the decision held until a visit is concluded.
    _open_case(page, base, "reviewer1", case["id"])
    click_and_wait(page, page.locator("#actions button", has_text="开始审核"))
    _open_case(page, base, "approver1", case["id"])
    assert "本事项须现场核查" in page.inner_text("#site-visit h2")
    assert "尚未安排现场核查" in page.inner_text("#site-visit-blocking")
    _decide(page)
    assert "尚未安排现场核查，不能作出决定" in page.inner_text(".flash.error")
    assert _records(api, case["id"])[0].state == "in_review"

    # One inspector is not enough (行政许可法 art. 34(3)): refused, what was typed kept.
    monday = dt.date(2025, 9, 29)
    _schedule(page, monday, ["approver1"])
    assert "2名以上工作人员" in page.inner_text(".flash.error")
    assert page.input_value("#site-visit-form input[name=place]") == PLACE
    _schedule(page, monday, ["approver1", "reviewer1"])
    assert "已安排现场核查（2025-09-29）" in page.inner_text(".flash.message")
    _, visits, entries, notices = _records(api, case["id"])
    assert len(visits) == 1 and visits[0].visit_on == monday and visits[0].place == PLACE
    assert [i["username"] for i in visits[0].inspectors] == ["approver1", "reviewer1"]
    assert visits[0].conclusion is None and len(notices) == 1
    scheduled = [e for e in entries if e.action == "case.site_visit_schedule"]
    assert len(scheduled) == 1 and scheduled[0].actor == "staff:approver1"
    notice = _flat(_pdf_text(page, page.get_attribute(".visit-notice", "href")))
    for text in (
        "现场核查通知书",
        "凉山计量检测所",
        "计量标准器具核准",
        "2025年9月29日",
        "𠮷祥计量站",
        "市场监管局赵敏、市场监管局李强",
        "第三十四条第三款",
        "计入法定办理期限",
    ):
        assert text in notice, text

    # The inspector, on the day: a point not met, a photo, 整改后复查.
    _open_case(page, base, "reviewer1", case["id"])
    assert page.locator("#site-visit-record").count() == 0  # not before the visit's day
    api.clock.today = monday
    page.reload()
    photo = tmp_path / "现场照片1.png"
    Image.new("RGB", (64, 48), (200, 80, 40)).save(photo)
    _record(page, {2: "恒温恒湿设备未运行"}, "rectify", "恒温恒湿设备修复并运行一周后复查", photo)
    assert "现场核查记录已保存：整改后复查" in page.inner_text(".flash.message")
    assert page.locator("img.visit-photo").count() == 1
    assert page.evaluate("document.querySelector('img.visit-photo').naturalWidth") == 64
    _, visits, entries, _ = _records(api, case["id"])
    assert visits[0].conclusion == "rectify" and visits[0].recorded_by == "reviewer1"
    assert [f["met"] for f in visits[0].findings] == [True, True, False]
    assert visits[0].photos[0]["filename"] == "现场照片1.png"
    recorded = [e for e in entries if e.action == "case.site_visit_record"]
    assert recorded[-1].actor == "staff:reviewer1" and recorded[-1].after is not None
    assert recorded[-1].after["conclusion"] == "rectify"
    first_record = _flat(_pdf_text(page, page.get_attribute(".visit-record", "href")))
    for text in (
        "现场核查记录",
        "环境条件和人员",
        "不符合：恒温恒湿设备未运行",
        "整改后复查",
        "现场照片1.png",
        "市场监管局李强",
    ):
        assert text in first_record, text

    # Still held: the approver schedules the re-inspection (the first notice stays as issued).
    _open_case(page, base, "approver1", case["id"])
    _decide(page)
    assert "整改后复查，须复查后才能作出决定" in page.inner_text(".flash.error")
    tuesday = dt.date(2025, 9, 30)
    _schedule(page, tuesday, ["approver1", "reviewer1"])
    api.clock.today = tuesday
    _open_case(page, base, "reviewer1", case["id"])
    _record(page, {}, "pass")
    assert "现场核查记录已保存：符合" in page.inner_text(".flash.message")

    # Decided.
    _open_case(page, base, "approver1", case["id"])
    assert page.locator("#site-visit-blocking").count() == 0
    history = page.inner_text("#timeline")
    assert "安排现场核查" in history and "核查结论: 整改后复查" in history and "核查结论: 符合" in history
    assert page.locator("#site-visit-form").count() == 0  # concluded: nothing more to schedule
    shot = screenshot_dir / "site_visit_case_page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    _decide(page)
    assert "审批意见已签署" in page.inner_text(".flash.message")
    stored, visits, entries, notices = _records(api, case["id"])
    assert stored.state == "approved"
    assert [v.conclusion for v in visits] == ["rectify", "pass"] and len(notices) == 2
    assert [e.action for e in entries if e.action.startswith("case.site_visit")] == [
        "case.site_visit_schedule",
        "case.site_visit_record",
        "case.site_visit_schedule",
        "case.site_visit_record",
    ]
    # The API reads the visits the page made, through the same records: the same two, as recorded.
    read = api.client.get(f"/api/v1/cases/{case['id']}/site-visits", headers=api.staff("approver1"))
    assert read.status_code == 200, read.text
    listed = read.json()
    assert listed["required"] is True and listed["blocking"] is None
    assert [v["conclusion"] for v in listed["visits"]] == ["rectify", "pass"]
    assert [v["visit_on"] for v in listed["visits"]] == ["2025-09-29", "2025-09-30"]
    first_visit = listed["visits"][0]
    assert [f["met"] for f in first_visit["findings"]] == [True, True, False]
    assert first_visit["findings"][2]["note"] == "恒温恒湿设备未运行"
    assert first_visit["photos"] == [{"filename": "现场照片1.png", "content_type": "image/png"}]
    assert first_visit["summary"] == "恒温恒湿设备修复并运行一周后复查"
    hrefs = [a.get_attribute("href") for a in page.locator(".visit-notice").all()]
    assert "2025年9月29日" in _flat(_pdf_text(page, hrefs[0]))
    assert "2025年9月30日" in _flat(_pdf_text(page, hrefs[1]))
    last_record = _flat(_pdf_text(page, page.locator(".visit-record").nth(1).get_attribute("href")))
    assert "核查结论符合" in last_record and "不符合" not in last_record
    # The 审批表 prints both visits: day, place, inspectors, findings, conclusion, what to put right.
    page.goto(f"{base}/web/case/{case['id']}")
    form = _flat(_pdf_text(page, page.get_attribute("#approval-form", "href")))
    for text in (
        "现场核查日期：2025年9月29日",
        f"地点：{_flat(PLACE)}",
        "检查人员：",
        "市场监管局赵敏",
        "不符合（恒温恒湿设备未运行）",
        "结论：整改后复查",
        "说明：恒温恒湿设备修复并运行一周后复查",
        "记录人：市场监管局李强",
        "现场复查日期：2025年9月30日",
        "结论：符合",
    ):
        assert text in form, text
    first = form[form.index("现场核查日期") : form.index("现场复查日期")]
    assert "结论：符合" not in first
    pdf = page.request.get(urllib.parse.urljoin(page.url, page.get_attribute("#approval-form", "href")))
    shot = screenshot_dir / "site_visit_approval_form"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-singlefile", "-", str(shot)], input=pdf.body(), check=True
    )
    assert shot.with_suffix(".png").stat().st_size > 20_000


def test_a_stranger_cannot_schedule_or_read_a_visit(live: tuple[str, CaseApi], staff_page: Any) -> None:
    base, api = live
    page = staff_page
    case = api.file_case(ITEM, name="凉山计量检测所")
    api.act(case["id"], "accept", "clerk1")
    _open_case(page, base, "sealer1", case["id"])
    assert page.locator("#site-visit-form").count() == 0
    answer = page.request.post(
        f"{base}/web/case/{case['id']}/site-visit",
        form={"visit_on": "2025-09-29", "place": "某地", "inspector": "reviewer1"},
    )
    assert answer.ok  # the page again, with the refusal
    assert _records(api, case["id"])[1] == []
    page.goto(f"{base}/web/logout")
    answer = page.request.get(f"{base}/web/case/{case['id']}/site-visit/1/record.pdf")
    assert answer.status == 401

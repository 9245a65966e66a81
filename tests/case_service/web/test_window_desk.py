"""The window clerk's work list, case page and release (一窗出件), clicked in Chromium at 1366×768 against
a real case service (uvicorn in a thread, so the test can move its calendar); each journey checks the
stored records (the case, its audit entries, its notes) and the 送达回证's text."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.domain.identity import make_id_number
from case_service.storage.models import AuditEntry, CaseNote
from tests.case_service.conftest import ID_A, ITEM_COMPANY, ITEM_FOOD, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live
from tests.hall_controller.harness import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]

SIZES = {"1366": {"width": 1366, "height": 768}, "1920": {"width": 1920, "height": 1080}}


@pytest.fixture
def clerk_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=SIZES["1366"], locale="zh-CN", accept_downloads=True)
    yield context.new_page()
    context.close()


def shoot(page: Any, folder: Path, name: str) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(folder / f"window_{name}_{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["1366"])


def audit_of(api: CaseApi, case_id: int) -> list[AuditEntry]:
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        rows = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject_type == "case", AuditEntry.subject_id == str(case_id))
                .order_by(AuditEntry.seq)
            )
        )
    engine.dispose()
    return rows


def notes_of(api: CaseApi, case_id: int) -> list[CaseNote]:
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        rows = list(session.scalars(select(CaseNote).where(CaseNote.case_id == case_id)))
    engine.dispose()
    return rows


def pdf_text(page: Any, href: str) -> str:
    """The document as the clerk's browser fetches it (the clerk's cookie), turned into text."""
    answer = page.request.get(urllib.parse.urljoin(page.url, href))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.body(), capture_output=True, check=True
    )
    return str(done.stdout.decode())


def sealed_case(api: CaseApi, name: str, id_number: str = ID_A) -> dict[str, Any]:
    case = api.file_case(ITEM_COMPANY, name=name, id_number=id_number)
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.joint_opinion(case["id"])  # 州税务局's, which the decision waits for
    api.act(case["id"], "approve", "approver1", reason="符合法定条件")
    api.act(case["id"], "make_certificate", "reviewer1")
    api.act(case["id"], "seal", "sealer1")
    return case


def upload(api: CaseApi, case_id: int, name: str, filename: str, data: bytes, ctype: str) -> None:
    answer = api.client.post(
        f"/api/v1/cases/{case_id}/materials",
        data={"name": name},
        files={"file": (filename, data, ctype)},
        headers={**api.staff("clerk1"), **api.key()},
    )
    assert answer.status_code == 201, answer.text


def picture(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 420), (40, 90, 160)).save(buffer, format=kind)
    return buffer.getvalue()


def find_and_open(page: Any, base: str, text: str) -> None:
    """From the work list: type into the search box, press Enter, open the first case."""
    page.goto(f"{base}/web/desk")
    page.fill("input[name=q]", text)
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    click_and_wait(page, page.locator("#cases tr td a").first)


def test_a_busy_morning_the_most_urgent_case_first(
    live: tuple[str, CaseApi], clerk_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = clerk_page
    # One case filed a week early and accepted: by the busy morning its review is overdue.
    urgent = api.file_case(ITEM_COMPANY, name="周八")
    api.act(urgent["id"], "accept", "clerk1")
    api.clock.today = dt.date(2025, 10, 13)
    filed = [urgent]
    for n in range(59):
        id_number = make_id_number(f"3201021980{(n % 12) + 1:02d}{(n % 27) + 1:02d}{n:03d}")
        filed.append(
            api.file_case(ITEM_FOOD if n % 2 else ITEM_COMPANY, name=f"申请人{n:02d}", id_number=id_number)
        )
    sought = filed[37]
    sought_id = make_id_number(f"3201021980{(36 % 12) + 1:02d}{(36 % 27) + 1:02d}036")

    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/desk")
    assert "共 60 件" in page.inner_text("h1")
    first = page.locator("#cases tr").nth(1)
    assert urgent["number"] in first.inner_text() and "超期" in first.inner_text()
    shoot(page, screenshot_dir, "desk_list")

    # Paging: three pages of 20; every case is reachable, none hidden past row 50.
    seen: list[str] = []
    for expected_page in (1, 2, 3):
        assert f"第 {expected_page} / 3 页" in page.inner_text("nav.pages")
        seen += page.locator("#cases tr td:nth-child(2)").all_inner_texts()
        if expected_page < 3:
            click_and_wait(page, page.locator("nav.pages a[rel=next]"))
    assert sorted(seen) == sorted(case["number"] for case in filed)

    # The older work list shows 50 rows a section and says how many more there are, with the way to them.
    page.goto(f"{base}/web/work")
    more = page.locator("p.more a").first
    assert "还有 9 件未列出" in more.inner_text()
    click_and_wait(page, more)
    assert "共 59 件" in page.inner_text("h1")  # every submitted case, by deadline

    # Search by the last four characters of an ID number (stored encrypted): one person's case.
    page.goto(f"{base}/web/desk")
    page.fill("input[name=q]", sought_id[-4:])
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    numbers = page.locator("#cases tr td:nth-child(2)").all_inner_texts()
    assert sought["number"] in numbers and len(numbers) < 5
    assert sought_id not in page.content()  # masked in the list

    # Filters: only overdue ones; then by item and name.
    page.goto(f"{base}/web/desk")
    page.check("input[name=overdue]")
    click_and_wait(page, page.locator("form.filters button"))
    assert page.locator("#cases tr td:nth-child(2)").all_inner_texts() == [urgent["number"]]
    page.goto(f"{base}/web/desk")
    page.select_option("select[name=item]", ITEM_FOOD)
    page.fill("input[name=q]", "申请人1")
    click_and_wait(page, page.locator("form.filters button"))
    assert "共 5 件" in page.inner_text("h1")  # 申请人11, 13, 15, 17, 19 are the food cases of 10-19

    # The urgent case's page: its deadlines in working days, overdue in red.
    find_and_open(page, base, urgent["number"])
    overdue = page.locator("#deadlines .overdue").first.inner_text()
    stored = api.client.get(f"/api/v1/cases/{urgent['id']}", headers=api.staff("clerk1")).json()
    assert stored["deadline"]["level"] == "overdue"
    assert overdue == f"超期{-stored['deadline']['working_days_left']}个工作日"


def test_release_to_the_window_with_the_service_receipt(
    live: tuple[str, CaseApi], clerk_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = clerk_page
    case = sealed_case(api, "张三丰")
    upload(api, case["id"], "公司登记(备案)申请书", "form.pdf", picture("PDF"), "application/pdf")
    upload(api, case["id"], "公司章程", "articles.png", picture("PNG"), "image/png")
    sign_in(page, base, "clerk1")
    find_and_open(page, base, case["number"])
    # Every material previewed: an image as it is, a PDF by its first page (a PNG made by the case service).
    held = api.client.get(f"/api/v1/cases/{case['id']}/materials", headers=api.staff("clerk1")).json()
    previews = page.locator(".materials img")
    assert previews.count() == len(held) >= 2
    drawn = "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"  # a function: no eval under the CSP
    assert wait_until(lambda: previews.evaluate_all(drawn), timeout=10)
    assert "material.read" in [entry.action for entry in audit_of(api, case["id"])]
    assert ID_A not in page.content() and "110***********" in page.inner_text("body")
    page.fill("form[action$='/notes'] textarea", "申请人电话预约今天下午领取")
    click_and_wait(page, page.locator("form[action$='/notes'] button"))
    assert "申请人电话预约今天下午领取" in page.inner_text("#notes")

    page.select_option("form[action$='/act/release'] select[name=channel]", "window")
    click_and_wait(page, page.locator("form[action$='/act/release'] button"))
    assert "待出件" in page.inner_text(".flash.message")
    shoot(page, screenshot_dir, "case_release")

    # Someone else's ID: refused, nothing delivered.
    page.fill("#handover input[name=id_number]", make_id_number("51320119851112004"))
    click_and_wait(page, page.locator("#handover button"))
    assert "与申请人不一致" in page.inner_text(".flash.error")
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()["state"] == (
        "ready_for_release"
    )
    page.fill("#handover input[name=id_number]", ID_A)
    click_and_wait(page, page.locator("#handover button"))
    assert "已当面送达" in page.inner_text(".flash.message")

    stored = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "delivered"
    delivered = stored["delivery_receipt"]["delivered"]
    assert delivered["method"] == "window" and delivered["by"] == "综合窗口 王芳"
    assert delivered["id_checked"] == "110***********" + ID_A[-4:]
    actions = [entry.action for entry in audit_of(api, case["id"])]
    steps = [action for action in actions if action.startswith("case.")]
    assert steps[-2:] == ["case.release", "case.deliver"] and "case.note" in steps
    assert [note.body for note in notes_of(api, case["id"])] == ["申请人电话预约今天下午领取"]

    href = page.locator("#documents a", has_text="送达回证").get_attribute("href")
    text = pdf_text(page, href)
    assert "直接送达" in text and "综合窗口 王芳" in text and "张三丰" in text
    assert ID_A not in text
    shoot(page, screenshot_dir, "case_delivered")


def test_release_by_mail_delivered_when_the_receipt_is_confirmed(
    live: tuple[str, CaseApi], clerk_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = clerk_page
    case = sealed_case(api, "李四")
    sign_in(page, base, "clerk1")
    find_and_open(page, base, case["number"])
    page.select_option("form[action$='/act/release'] select[name=channel]", "mail")
    click_and_wait(page, page.locator("form[action$='/act/release'] button"))

    address = "江苏省徐州市云龙区和平路58号 李四收"
    page.fill("#mail input[name=address]", address)
    page.select_option("#mail select[name=carrier]", "中国邮政EMS")
    page.fill("#mail input[name=waybill]", "ab 12")  # not a waybill: refused, nothing recorded
    click_and_wait(page, page.locator("#mail button"))
    assert "运单号" in page.inner_text(".flash.error") and notes_of(api, case["id"]) == []
    assert page.input_value("#mail input[name=address]") == address  # what was typed is kept
    assert page.input_value("#mail input[name=waybill]") == "ab 12"
    page.fill("#mail input[name=waybill]", "1180123456789")
    click_and_wait(page, page.locator("#mail button"))
    assert "1180123456789" in page.inner_text("#dispatch") and address in page.inner_text("#dispatch")
    shoot(page, screenshot_dir, "case_mail")
    (dispatch,) = notes_of(api, case["id"])
    assert dispatch.kind == "mail" and dispatch.data is not None
    assert dispatch.data["waybill"] == "1180123456789" and address not in str(dispatch.data)  # encrypted
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()["state"] == (
        "ready_for_release"
    )

    page.fill("#mail-delivered input[name=signed_by]", "李四")
    click_and_wait(page, page.locator("#mail-delivered button"))
    stored = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "delivered" and stored["release_channel"] == "mail"
    delivered = stored["delivery_receipt"]["delivered"]
    assert (delivered["method"], delivered["carrier"], delivered["waybill"]) == (
        "mail",
        "中国邮政EMS",
        "1180123456789",
    )
    text = pdf_text(page, page.locator("#documents a", has_text="送达回证").get_attribute("href"))
    assert "邮寄送达" in text and "1180123456789" in text and "综合窗口 王芳" in text


def test_a_lapsed_acceptance_is_accepted_when_opened_and_refusals_name_the_authority(
    live: tuple[str, CaseApi], clerk_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = clerk_page
    lapsed = api.file_case(ITEM_FOOD, name="孙七")  # filed Fri 26 Sep 2025; 5 working days end 10 Oct
    api.clock.today = dt.date(2025, 10, 14)  # no sweep has run (the test app's sweep is off)
    refused = api.file_case(ITEM_FOOD, name="钱九", id_number=make_id_number("51320119851112004"))

    sign_in(page, base, "clerk1")
    find_and_open(page, base, lapsed["number"])
    assert "依法自动受理" in page.inner_text("#lapsed")
    shoot(page, screenshot_dir, "case_auto_accepted")
    stored = api.client.get(f"/api/v1/cases/{lapsed['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "accepted" and stored["auto_accepted"] is True
    assert stored["accepted_on"] == "2025-09-26"
    [entry] = [e for e in audit_of(api, lapsed["id"]) if e.action == "case.auto_accept"]
    assert entry.actor.startswith("system")  # the law's acceptance, not the clerk who opened the page
    page.reload()  # opened again: accepted once, no second entry
    assert [e.action for e in audit_of(api, lapsed["id"])].count("case.auto_accept") == 1

    # 不予受理 "not within this authority" must name the authority to apply to (art. 32(1)(2)).
    find_and_open(page, base, refused["number"])
    form = page.locator("form[action$='/act/not_accept']")
    form.locator("input[name=reason]").fill("申请的是医疗机构执业许可")
    click_and_wait(page, form.locator("button"))
    assert "应当向哪个行政机关申请" in page.inner_text(".flash.error")
    assert form.locator("input[name=reason]").input_value() == "申请的是医疗机构执业许可"
    assert api.client.get(f"/api/v1/cases/{refused['id']}", headers=api.staff("clerk1")).json()["state"] == (
        "submitted"
    )
    page.locator("form[action$='/act/not_accept'] input[name=authority]").fill("徐州市卫生健康委员会")
    click_and_wait(page, page.locator("form[action$='/act/not_accept'] button"))
    stored = api.client.get(f"/api/v1/cases/{refused['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "not_accepted"
    assert "请向徐州市卫生健康委员会申请" in stored["not_accepted_reason"]
    assert "申请的是医疗机构执业许可" in stored["not_accepted_reason"]
    text = pdf_text(page, page.locator("#documents a", has_text="不予受理通知书").get_attribute("href"))
    assert "徐州市卫生健康委员会" in text

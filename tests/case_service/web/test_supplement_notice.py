"""The supplement notice (补正材料一次性告知书) from the case page, in Chromium at 1366×768 against the
case service: the clerk names what is wrong, per material of the item's list, several in one notice;
materials not handed in are listed by themselves, those handed in are not; the notice prints with its seal
block; after 已补正 no second notice can be issued (一次性告知), and the case is accepted."""

from __future__ import annotations

import datetime as dt
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.case_service.conftest import ITEM_COMPANY, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live
from tests.case_service.web.test_window_desk import audit_of, clerk_page, find_and_open, shoot, upload
from tests.fixtures.materials import PDF

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["clerk_page", "live"]

HANDED_IN = ["公司登记(备案)申请书", "公司章程"]
NOT_HANDED_IN = ["股东主体资格证明", "法定代表人、董事、监事和经理的任职文件", "住所使用证明"]


def pdf_pages(page: Any, href: str) -> list[str]:
    """The document as the clerk's browser fetches it, one text per page (pdftotext)."""
    answer = page.request.get(urllib.parse.urljoin(page.url, href))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.body(), capture_output=True, check=True
    )
    return done.stdout.decode().split("\f")[:-1] or [done.stdout.decode()]


def test_one_supplement_notice_per_case_printed_with_its_seal_then_accepted(
    live: tuple[str, CaseApi], clerk_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    case = api.file_case(ITEM_COMPANY, name="𠮷田商贸有限公司", complete=False)
    for name in HANDED_IN:
        upload(api, case["id"], name, f"{name}.pdf", PDF, "application/pdf")
    page = clerk_page
    sign_in(page, base, "clerk1")
    find_and_open(page, base, case["number"])

    form = page.locator("form[action$='/act/request_supplement']")
    listed = form.locator("#defects").inner_text()
    assert all(name in listed for name in [*HANDED_IN, *NOT_HANDED_IN])  # the item's list, handed in or not
    for name in NOT_HANDED_IN:
        assert "未提交" in form.locator("tr", has_text=name).inner_text()
    form.get_by_label("公司登记(备案)申请书 的问题").fill("法定代表人未签字")
    form.get_by_label("公司章程 的问题").fill("未经全体股东签署")
    shoot(page, screenshot_dir, "supplement_form")
    click_and_wait(page, form.locator("button"))
    assert "一次性告知补正" in page.inner_text(".flash.message")

    stored = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "supplement_required"
    notice = stored["supplement_notice"]
    assert notice["missing"] == NOT_HANDED_IN  # what was handed in is not listed as missing
    assert notice["defects"] == [
        {"material": "公司登记(备案)申请书", "problem": "法定代表人未签字"},
        {"material": "公司章程", "problem": "未经全体股东签署"},
    ]
    link = page.locator("#documents a", has_text="补正材料一次性告知书")
    pages = pdf_pages(page, str(link.get_attribute("href")))
    text = "".join(pages)
    assert "共5项" in text and "𠮷田商贸有限公司" in text
    assert "公司章程：未经全体股东签署，请补正" in text and "公司登记(备案)申请书：法定代表人未签字" in text
    for name in NOT_HANDED_IN:
        assert f"{name}：未提交" in text
    assert "公司章程：未提交" not in text
    # The seal block (the seal, the authority and the date over it) stays with the notice's last words.
    issued = dt.date.fromisoformat(notice["issued_on"])
    (sealed,) = [text for text in pages if "行政审批专用章" in text]
    assert sealed is pages[-1] and "一并补正上述材料" in sealed
    assert f"{issued.year}年{issued.month}月{issued.day}日" in sealed.split("一并补正上述材料")[1]
    shoot(page, screenshot_dir, "supplement_issued")

    # The applicant brings everything; the clerk records 已补正. No second notice is offered nor taken.
    for name in [*HANDED_IN, *NOT_HANDED_IN]:
        upload(api, case["id"], name, f"补正-{name}.pdf", PDF, "application/pdf")
    page.reload()
    click_and_wait(page, page.locator("form[action$='/act/supplement'] button"))
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()["state"] == (
        "submitted"
    )
    assert page.locator("form[action$='/act/request_supplement']").count() == 0
    again = api.act(case["id"], "request_supplement", "clerk1", expect=409)["error"]
    assert "不得再次要求补正" in again["message"]
    click_and_wait(page, page.locator("form[action$='/act/accept'] button"))
    accepted = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert accepted["state"] == "accepted"
    assert accepted["supplement_notice"] == notice  # the one notice, unchanged
    actions = [entry.action for entry in audit_of(api, case["id"])]
    assert actions.count("case.request_supplement") == 1 and actions.count("case.supplement") == 1
    shoot(page, screenshot_dir, "supplement_accepted")

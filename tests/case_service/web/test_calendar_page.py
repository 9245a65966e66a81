"""The working-day calendar page in Chromium: an administrator previews a year's announcement (nothing
changes), enters it (the year known, an open case's due date counted again), sets one day by hand; the
months drawn as the calendar counts them; a manager, a clerk and a stranger are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry, CalendarYear, Case, HolidayOverride
from tests.case_service.api.test_calendar_admin_and_sweep import ANNOUNCEMENT_2027
from tests.case_service.conftest import ITEM_FOOD, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]


def record(api: CaseApi, case_id: int) -> tuple[list[int], dt.date | None, dict[dt.date, bool], list[str]]:
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        years = list(session.scalars(select(CalendarYear.year)))
        case = session.get(Case, case_id)
        assert case is not None
        days = {row.day: row.is_working_day for row in session.scalars(select(HolidayOverride))}
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("calendar.%")).order_by(AuditEntry.seq)
            )
        )
    return years, case.decision_due_on, days, actions


def cell(page: Any, day: str) -> str:
    return str(page.locator(f"#months td[data-day='{day}']").get_attribute("class"))


def test_enter_a_years_announcement_and_a_day(
    live: tuple[str, CaseApi], page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    api.clock.today = dt.date(2026, 12, 24)
    case = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    assert case["decision_due_on"] == "2027-01-07" and case["due_estimated"]  # weekends only in 2027

    sign_in(page, base, "admin")
    click_and_wait(page, page.locator("header a", has_text="工作日历"))
    assert "2026 年" in page.inner_text("h1") and cell(page, "2026-10-01") == "holiday"  # from the package
    page.fill("input[name=year]", "2027")
    click_and_wait(page, page.locator("button", has_text="查看"))
    assert "尚未录入" in page.inner_text("main") and cell(page, "2027-01-01") == "working"

    form = page.locator("#announcement")
    form.locator("textarea[name=text]").fill(ANNOUNCEMENT_2027)
    click_and_wait(page, form.locator("button"))
    preview = page.inner_text("#preview")
    assert "2027 年:放假 11 天,调休上班 1 天;将重新计算 1 件" in preview and "2027-02-20" in preview
    assert record(api, case["id"]) == ([], dt.date(2027, 1, 7), {}, [])  # a dry run changes nothing
    click_and_wait(page, page.locator("#confirm-announcement"))
    assert "2027 年节假日安排已录入;1 件" in page.inner_text(".flash.message")
    years, due, days, actions = record(api, case["id"])
    assert years == [2027] and due == dt.date(2027, 1, 8) and actions == ["calendar.announce"]
    assert days[dt.date(2027, 1, 1)] is False and days[dt.date(2027, 2, 20)] is True
    assert "已知" in page.inner_text("main") and "尚未录入" not in page.inner_text("main")
    assert cell(page, "2027-01-01") == "holiday entered" and cell(page, "2027-02-20") == "swapped entered"

    form = page.locator("#set-day")
    form.locator("input[name=day]").fill("2027-03-01")
    form.locator("input[name=note]").fill("地方性节假日")
    click_and_wait(page, form.locator("button"))
    assert "2027-03-01 已设为放假" in page.inner_text(".flash.message")
    _years, _due, days, actions = record(api, case["id"])
    assert days[dt.date(2027, 3, 1)] is False and actions[-1] == "calendar.set"
    assert cell(page, "2027-03-01") == "holiday entered"
    assert "地方性节假日" in page.inner_text("#entered tr[data-day='2027-03-01']")
    page.screenshot(path=str(screenshot_dir / "calendar-admin-2027.png"), full_page=True)

    # Not an administrator: refused; a stranger is sent to sign in.
    for user in ("manager1", "clerk1"):
        page.goto(f"{base}/web/logout")
        sign_in(page, base, user)
        answer = page.goto(f"{base}/web/calendar")
        assert answer is not None and answer.status == 403, user
        forged = page.request.post(
            f"{base}/web/calendar/days", form={"day": "2027-03-02", "kind": "holiday"}, max_redirects=0
        )
        assert forged.status == 403, user
    page.goto(f"{base}/web/logout")
    stranger = page.request.post(
        f"{base}/web/calendar/days", form={"day": "2027-03-02", "kind": "holiday"}, max_redirects=0
    )
    assert stranger.status == 303 and "/web/login" in stranger.headers["location"]
    assert dt.date(2027, 3, 2) not in record(api, case["id"])[2]

"""电子监察 with teeth, in Chromium against the real service: the manager issues the cards due, urges the
department of a red-carded case; the department head answers; the handlers find their cards; a clerk and a
stranger cannot. The record is read back from the database and the audit trail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry, SupervisionCard, Urging
from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]
EDUCATION_ITEM = "513200-XK-JY-0036"


def records(api: CaseApi) -> tuple[list[SupervisionCard], list[Urging], list[AuditEntry]]:
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        cards = list(session.scalars(select(SupervisionCard).order_by(SupervisionCard.id)))
        urgings = list(session.scalars(select(Urging).order_by(Urging.id)))
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("supervision.%")).order_by(AuditEntry.seq)
            )
        )
        session.expunge_all()
    return cards, urgings, entries


def present_cards(api: CaseApi) -> dict[int, list[str]]:
    """Each open case's cards for the stage it is in now, red first, by SQL of the test's own."""
    with api.client.app.state.engine.connect() as connection:  # type: ignore[attr-defined]
        rows = connection.execute(
            text(
                "SELECT c.id, k.colour FROM cases c JOIN supervision_cards k ON k.case_id = c.id "
                "AND k.stage = c.stage AND k.stage_due_on = c.stage_due_on ORDER BY c.id, k.colour"
            )
        ).all()
    found: dict[int, list[str]] = {}
    for case_id, colour in rows:  # "red" sorts before "yellow"
        found.setdefault(case_id, []).append(colour)
    return found


def listed_cards(page: Any, number: str) -> list[str]:
    """The cards shown beside the case on the work list."""
    row = page.locator("tr", has=page.locator(f"a:text-is('{number}')"))
    return [str(card.get_attribute("data-card")) for card in row.first.locator("[data-card]").all()]


def test_cards_urging_and_answer(live: tuple[str, CaseApi], page: Any, screenshot_dir: Path) -> None:
    base, api = live
    late = api.file_case(ITEM_COMPANY, name="王五")
    api.act(late["id"], "accept", "clerk1")  # decision due 30 Sep 2025
    api.act(late["id"], "start_review", "reviewer1")
    soon = api.file_case(ITEM_FOOD, name="赵六")
    api.act(soon["id"], "accept", "clerk1")  # decision due 16 Oct 2025
    waiting = api.file_case(EDUCATION_ITEM, name="孙七")  # acceptance due 10 Oct 2025
    api.clock.today = dt.date(2025, 10, 14)

    # The centre's manager issues the cards due today.
    sign_in(page, base, "manager1")
    assert page.url.endswith("/web/supervision")
    assert "尚未发出黄牌或红牌" in page.inner_text("body")
    click_and_wait(page, page.locator("#run-cards"))
    assert "已发出黄牌 3 张、红牌 2 张" in page.inner_text(".flash.message")
    cards, _urgings, entries = records(api)
    by_case = {(card.case_id, card.colour): card for card in cards}
    assert set(by_case) == {
        (late["id"], "yellow"),
        (late["id"], "red"),
        (soon["id"], "yellow"),
        (waiting["id"], "yellow"),
        (waiting["id"], "red"),
    }
    red = by_case[late["id"], "red"]
    assert red.stage == "review" and red.stage_due_on == dt.date(2025, 9, 30)
    assert red.recipients == [
        {"addressee": "handler", "role": "reviewer", "department": "州市场监管局", "person": "reviewer1"},
        {"addressee": "department_head", "role": None, "department": "州市场监管局", "person": None},
        {"addressee": "supervisor", "role": None, "department": None, "person": None},
    ]
    assert by_case[soon["id"], "yellow"].recipients[0]["person"] is None  # no review started: all reviewers
    assert by_case[waiting["id"], "red"].recipients[0] == {
        "addressee": "handler",
        "role": "clerk",
        "department": None,
        "person": "clerk1",
    }
    assert [(e.action, e.actor, e.subject_id) for e in entries].count(
        ("supervision.red_card", "staff:manager1", str(late["id"]))
    ) == 1
    row = page.locator(f"#cards tr[data-case='{late['number']}'][data-colour='red']")
    assert "红牌" in row.inner_text() and "中心监察人员" in row.inner_text()
    assert "经办人 reviewer1" in row.inner_text()

    # The banner is the server's: a link cannot put its own words there.
    page.goto(f"{base}/web/supervision?message=伪造的通知&error=伪造的错误")
    assert "伪造" not in page.inner_text("main")
    row = page.locator(f"#cards tr[data-case='{late['number']}'][data-colour='red']")

    # A second run the same day issues nothing new.
    click_and_wait(page, page.locator("#run-cards"))
    assert "已发出黄牌 0 张、红牌 0 张" in page.inner_text(".flash.message")
    assert len(records(api)[0]) == 5

    # 督办: a reply date that is not a working day is refused, with nothing recorded.
    row.locator("input[name=reply_by]").fill("2025-10-18")  # Saturday
    row.locator("input[name=instruction]").fill("请说明超期原因,10月17日前办结")
    click_and_wait(page, row.locator("button", has_text="督办"))
    assert "不是工作日" in page.inner_text(".flash.error")
    assert records(api)[1] == []
    row = page.locator(f"#cards tr[data-case='{late['number']}'][data-colour='red']")
    assert row.locator("input[name=reply_by]").input_value() == "2025-10-17"  # 3 working days ahead
    row.locator("input[name=instruction]").fill("请说明超期原因,10月17日前办结")
    click_and_wait(page, row.locator("button", has_text="督办"))
    assert "已督办 州市场监管局,2025-10-17 前答复" in page.inner_text(".flash.message")
    _cards, urgings, entries = records(api)
    assert [(u.case_id, u.card_id, u.department, u.issued_by, u.reply_by, u.answer) for u in urgings] == [
        (late["id"], red.id, "州市场监管局", "manager1", dt.date(2025, 10, 17), None)
    ]
    assert entries[-1].action == "supervision.urge" and entries[-1].actor == "staff:manager1"
    assert entries[-1].after is not None and entries[-1].after["reply_by"] == "2025-10-17"
    assert "待答复" in page.inner_text(f"#urgings tr[data-case='{late['number']}']")
    page.screenshot(path=str(screenshot_dir / "supervision-cards-manager.png"), full_page=True)

    # The department head sees their department only, and answers.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    page.goto(f"{base}/web/supervision")
    assert "州市场监管局" in page.inner_text("h1")
    assert page.locator(f"#cards tr[data-case='{waiting['number']}']").count() == 0
    assert page.locator("#cards form.urge").count() == 0  # a head answers, the centre urges
    answer_row = page.locator(f"#urgings tr[data-case='{late['number']}']")
    answer_row.locator("input[name=answer]").fill("已安排专人加快审查,10月16日办结")
    click_and_wait(page, answer_row.locator("button", has_text="答复"))
    assert "已答复" in page.inner_text(".flash.message")
    _cards, urgings, entries = records(api)
    assert (urgings[0].answer, urgings[0].answered_by, urgings[0].answered_on) == (
        "已安排专人加快审查,10月16日办结",
        "approver1",
        dt.date(2025, 10, 14),
    )
    assert entries[-1].action == "supervision.answer" and entries[-1].actor == "staff:approver1"
    assert "已答复" in page.inner_text(f"#urgings tr[data-case='{late['number']}'] td.status")
    page.screenshot(path=str(screenshot_dir / "supervision-cards-department-head.png"), full_page=True)

    # The handlers find the cards addressed to them.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "reviewer1")
    click_and_wait(page, page.locator("header a", has_text="黄红牌"))
    mine = page.inner_text("#my-cards")
    assert late["number"] in mine and soon["number"] in mine and waiting["number"] not in mine
    page.screenshot(path=str(screenshot_dir / "supervision-my-cards-reviewer.png"), full_page=True)
    # ... and on their work list, beside the case: the cards of the stage it is in.
    page.goto(f"{base}/web/work")
    expected = present_cards(api)
    assert expected[late["id"]] == ["red", "yellow"] and expected[soon["id"]] == ["yellow"]
    for case in (late, soon):
        assert listed_cards(page, case["number"]) == expected[case["id"]], case["number"]
    page.screenshot(path=str(screenshot_dir / "work-list-cards-reviewer.png"), full_page=True)

    # A clerk reads their own cards but not the supervision page, and cannot urge or answer.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/supervision/mine")
    mine = page.inner_text("#my-cards")
    assert waiting["number"] in mine and late["number"] not in mine
    page.goto(f"{base}/web/work")
    assert listed_cards(page, waiting["number"]) == present_cards(api)[waiting["id"]] == ["red", "yellow"]
    page.screenshot(path=str(screenshot_dir / "work-list-cards-clerk.png"), full_page=True)
    answer = page.goto(f"{base}/web/supervision")
    assert answer is not None and answer.status == 403
    forged = page.request.post(
        f"{base}/web/supervision/cases/{late['id']}/urge",
        form={"reply_by": "2025-10-17", "instruction": "forged"},
        max_redirects=0,
    )
    assert forged.status == 403
    forged = page.request.post(
        f"{base}/web/supervision/urgings/{urgings[0].id}/answer", form={"answer": "forged"}, max_redirects=0
    )
    assert forged.status == 403
    assert page.request.post(f"{base}/web/supervision/run", max_redirects=0).status == 403
    _cards, urgings, _entries = records(api)
    assert len(urgings) == 1 and urgings[0].answer == "已安排专人加快审查,10月16日办结"

    # A stranger is sent to sign in, and posts nothing.
    page.goto(f"{base}/web/logout")
    page.goto(f"{base}/web/supervision")
    assert "/web/login" in page.url
    stranger = page.request.post(f"{base}/web/supervision/run", max_redirects=0)
    assert stranger.status == 303 and "/web/login" in stranger.headers["location"]
    assert len(records(api)[0]) == 5

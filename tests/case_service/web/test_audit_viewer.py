"""The audit viewer in Chromium: search by actor and action, page back through the trail (each page
checked against SQL of the test's own), verify the chain and find an altered entry; a clerk and a stranger
are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry
from tests.case_service.conftest import ITEM_COMPANY, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]


def seqs(page: Any) -> list[int]:
    rows = page.locator("#entries tr[data-seq]")
    return [int(rows.nth(i).get_attribute("data-seq")) for i in range(rows.count())]


def test_search_page_and_verify(live: tuple[str, CaseApi], page: Any, screenshot_dir: Path) -> None:
    base, api = live
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    cases = [api.file_case(ITEM_COMPANY, name=f"测试{n}") for n in range(12)]
    for case in cases[:7]:
        api.act(case["id"], "accept", "clerk1")
    with engine.connect() as db:
        by_clerk = [
            row[0]
            for row in db.execute(
                text("SELECT seq FROM audit_entries WHERE actor LIKE '%clerk1%' ORDER BY seq DESC")
            )
        ]
        accepted = [
            row[0]
            for row in db.execute(
                text("SELECT seq FROM audit_entries WHERE action = 'case.accept' ORDER BY seq DESC")
            )
        ]
        total = db.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one()
    assert len(by_clerk) > 50 and len(accepted) == 7

    sign_in(page, base, "manager1")
    click_and_wait(page, page.locator("nav.tabs a", has_text="审计日志"))
    assert seqs(page) == list(range(total, max(total - 50, 0), -1))  # the newest page of everything
    page.fill("input[name=actor]", "clerk1")
    click_and_wait(page, page.locator("#search button"))
    shown = seqs(page)
    assert shown == by_clerk[:50]
    click_and_wait(page, page.locator("#older"))
    assert seqs(page) == by_clerk[50:100]
    assert page.locator("#older").count() == (1 if len(by_clerk) > 100 else 0)
    assert page.input_value("input[name=actor]") == "clerk1"  # the search kept while paging
    click_and_wait(page, page.locator("#newest"))
    assert seqs(page) == by_clerk[:50]

    page.fill("input[name=actor]", "")
    page.fill("input[name=action]", "case.acc")
    click_and_wait(page, page.locator("#search button"))
    assert seqs(page) == accepted
    row = page.locator(f"#entries tr[data-seq='{accepted[0]}']").inner_text()
    assert "staff:clerk1" in row and f"case {cases[6]['id']}" in row and '"state": "accepted"' in row
    page.screenshot(path=str(screenshot_dir / "audit-viewer.png"), full_page=True)

    # The chain: intact, then an entry altered behind the service's back is named.
    click_and_wait(page, page.locator("#verify"))
    assert f"已逐条核对 {total} 条记录" in page.inner_text("#chain")
    with Session(engine) as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == accepted[-1]).values(actor="staff:someone")
        )
        session.commit()
    page.reload()
    assert f"第 {accepted[-1]} 条起链条断开" in page.inner_text("#chain")
    page.screenshot(path=str(screenshot_dir / "audit-verify-broken.png"), full_page=True)
    # The banner is the server's: a link's own words never appear in it.
    page.goto(page.url.split("?")[0] + "?message=审计正常无需处理&error=请拨打400-000-0000")
    assert page.locator(".flash").count() == 0 and "400-000" not in page.content()

    # A clerk and a stranger are refused.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    for path in ("/web/audit", "/web/audit/verify", "/web/audit?actor=manager1"):
        answer = page.goto(f"{base}{path}")
        assert answer is not None and answer.status == 403, path
    page.goto(f"{base}/web/logout")
    page.goto(f"{base}/web/audit?actor=clerk1")
    assert "/web/login" in page.url and page.locator("#entries").count() == 0

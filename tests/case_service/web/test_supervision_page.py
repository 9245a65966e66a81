"""The supervision page with at-risk and overdue cases, on a server whose calendar the test moves."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from case_service.app import create_app
from hall.net import free_port, wait_for_http
from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD, CaseApi, Clock, make_settings
from tests.case_service.web.test_pages import click_and_wait, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, CaseApi]]:
    """A real uvicorn server in a thread (so the test can move its clock), and an API client beside it."""
    clock = Clock()
    settings = make_settings(f"sqlite:///{tmp_path / 'live.db'}", tmp_path)
    app = create_app(settings, today=clock)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    assert wait_for_http(f"{base}/healthz", 30)
    with TestClient(app) as client:
        yield base, CaseApi(client, clock, settings)
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


def test_supervision_lists_overdue_and_at_risk_cases(
    live: tuple[str, CaseApi], page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    late = api.file_case(ITEM_COMPANY, name="王五")
    api.act(late["id"], "accept", "clerk1")  # decision due 30 Sep 2025
    soon = api.file_case(ITEM_FOOD, name="赵六")
    api.act(soon["id"], "accept", "clerk1")  # decision due 16 Oct 2025
    waiting = api.file_case("513200-XK-JY-0036", name="孙七")  # acceptance due 10 Oct 2025
    api.clock.today = dt.date(2025, 10, 14)

    sign_in(page, base, "manager1")
    assert page.url.endswith("/web/supervision")
    rows = page.locator("table").first.inner_text()
    assert "州市场监管局\t1\t1" in rows and "州教育局\t0\t1" in rows
    cases = page.locator("table").nth(1).inner_text()
    assert late["number"] in cases and "超期 5 个工作日" in cases
    assert soon["number"] in cases and "剩余 2 个工作日" in cases
    assert waiting["number"] in cases
    page.screenshot(path=str(screenshot_dir / "case_service_supervision.png"), full_page=True)

    # The approver sees the overdue case flagged red in the work list too, and may extend it.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    api.act(late["id"], "start_review", "reviewer1")
    page.goto(f"{base}/web/work")
    row = page.locator("tr", has_text=late["number"])
    assert row.locator(".overdue").count() == 1
    row.locator("input[name=reason]").last.fill("需要现场核查")
    click_and_wait(page, row.locator("form[action$='/extend'] button"))
    assert f"{late['number']} 延长10个工作日: 办件现为审核中" in page.inner_text(".flash.message")

"""The manager's figures page in Chromium: signed in as the centre's manager, as a department head and
as a clerk; the tables checked against SQL of the test's own, the charts drawn, the xlsx downloaded."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from case_service.app import create_app
from hall.net import free_port, wait_for_http
from tests.case_service.conftest import CaseApi, Clock, make_settings
from tests.case_service.reports.cases import (
    LATER_STAGES,
    expected_by,
    expected_ratings,
    generate,
    generate_ratings,
    generate_steps,
    nearest_rank_p90,
)
from tests.case_service.web.test_pages import click_and_wait, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]
OCTOBER = (dt.date(2025, 10, 1), dt.date(2025, 10, 31))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, CaseApi]]:
    clock = Clock(dt.date(2025, 10, 20))
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


def table_rows(page: Any, table: str = "figures") -> dict[str, list[str]]:
    rows = page.locator(f"#{table} tr[data-key]")
    return {
        rows.nth(i).get_attribute("data-key"): [
            cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()
        ]
        for i in range(rows.count())
    }


COUNTS = ("received", "accepted", "deemed", "not_accepted", "supplement", "decided", "on_time", "late")


def check_table(page: Any, expected: dict[str, dict[str, Any]]) -> None:
    shown = table_rows(page)
    assert set(shown) == {*expected, "*"}
    for key, values in expected.items():
        assert shown[key][1:9] == [str(values[name]) for name in COUNTS], key
        # Beside the on-time rate: the decisions of the other flows, then the cases forwarded.
        by_flow = values["decided_by_flow"]
        assert shown[key][10:14] == [
            *(str(by_flow[flow]) for flow in ("registration", "forwarding", "public_service")),
            str(values["forwarded"]),
        ], key
        stage = values["decision"]
        if stage["count"]:
            assert shown[key][15] == f"{stage['mean_working_days']} / {int(stage['p90_working_days'])}", key
    assert shown["*"][1] == str(sum(values["received"] for values in expected.values()))


def test_figures_page_for_the_manager_a_department_head_and_a_clerk(
    live: tuple[str, CaseApi], page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine, count=300)
    later = generate_steps(engine)
    refused_scripts: list[str] = []
    page.on(
        "console",
        lambda message: refused_scripts.append(message.text) if "Content Security" in message.text else None,
    )

    sign_in(page, base, "manager1")
    click_and_wait(page, page.locator("header a", has_text="统计"))
    assert page.url.endswith("/web/reports")
    assert "2025-10" in page.inner_text("h1") and "全中心" in page.inner_text("h1")
    check_table(page, expected_by(engine, "department", *OCTOBER))
    # The later stages (制作证照, 统一盖章, 出件), from the audited steps the test wrote.
    shown = table_rows(page)
    for department, stages in later.items():
        for column, stage in enumerate(LATER_STAGES, 16):
            days = stages.get(stage, [])
            want = f"{round(sum(days) / len(days), 2)} / {int(nearest_rank_p90(days) or 0)}" if days else "—"
            assert shown[department][column] == want, (department, stage)
    page.wait_for_selector("body[data-charts='3']")
    for chart in ("chart-groups", "chart-ontime", "chart-trend"):
        assert page.locator(f"#{chart} svg").count() == 1, chart
    page.screenshot(path=str(screenshot_dir / "case-figures-month.png"), full_page=True)

    # A range by channel, chosen in the form.
    page.select_option("select[name=period]", "range")
    page.fill("input[name=from]", "2025-09-15")
    page.fill("input[name=to]", "2025-11-10")
    page.select_option("select[name=group_by]", "channel")
    click_and_wait(page, page.locator("button", has_text="查询"))
    check_table(page, expected_by(engine, "channel", dt.date(2025, 9, 15), dt.date(2025, 11, 10)))
    assert page.inner_text("#figures tr[data-key=kiosk] td >> nth=0") == "自助终端 kiosk"
    page.wait_for_selector("body[data-charts='3']")
    page.screenshot(path=str(screenshot_dir / "case-figures-range-by-channel.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#export")
    download = download_info.value
    assert download.suggested_filename == "case-figures-2025-09-15-2025-11-10.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert sheet is not None
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    expected = expected_by(engine, "channel", dt.date(2025, 9, 15), dt.date(2025, 11, 10))
    assert rows["网上 online"][1] == expected["online"]["received"]
    assert rows["合计 Total"][6] == sum(values["decided"] for values in expected.values())
    assert refused_scripts == []

    # By window: the window each case was received at.
    page.select_option("select[name=period]", "month")
    page.fill("input[name=date]", "2025-10-15")
    page.select_option("select[name=group_by]", "window")
    click_and_wait(page, page.locator("button", has_text="查询"))
    check_table(page, expected_by(engine, "COALESCE(CAST(received_window AS TEXT), 'none')", *OCTOBER))
    assert page.inner_text("#figures tr[data-key='12'] td >> nth=0") == "12号窗口 window 12"
    page.screenshot(path=str(screenshot_dir / "case-figures-by-window.png"), full_page=True)

    # 好差评: the ratings page, by clerk.
    generate_ratings(engine)
    click_and_wait(page, page.locator("nav.tabs a", has_text="好差评"))
    page.select_option("select[name=period]", "month")
    page.fill("input[name=date]", "2025-10-20")
    page.fill("input[name=from]", "")
    page.fill("input[name=to]", "")
    page.select_option("select[name=group_by]", "clerk")
    click_and_wait(page, page.locator("button", has_text="查询"))
    rated = expected_ratings(engine, "e.clerk", *OCTOBER)
    rows = page.locator("#ratings tr[data-key]")
    shown = {
        rows.nth(i).get_attribute("data-key"): [
            c.strip() for c in rows.nth(i).locator("td").all_inner_texts()
        ]
        for i in range(rows.count())
    }
    assert set(shown) == {*rated, "*"}
    for clerk, levels in rated.items():
        assert shown[clerk][1:7] == [str(sum(levels.values()))] + [
            str(levels[level]) for level in (5, 4, 3, 2, 1)
        ]
    page.wait_for_selector("#chart-ratings svg")
    with page.expect_download() as ratings_download:
        page.click("#export")
    sheet = load_workbook(io.BytesIO(Path(ratings_download.value.path()).read_bytes())).active
    assert sheet is not None
    by_clerk = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    for clerk, levels in rated.items():
        assert by_clerk[clerk][1:7] == (sum(levels.values()), *(levels[level] for level in (5, 4, 3, 2, 1)))
    page.screenshot(path=str(screenshot_dir / "rating-figures-by-clerk.png"), full_page=True)
    assert refused_scripts == []

    # A department head: their department only, another's refused.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    page.goto(f"{base}/web/reports?period=month&date=2025-10-01&group_by=item")
    assert "州市场监管局" in page.inner_text("h1")
    check_table(page, expected_by(engine, "item_code", *OCTOBER, department="州市场监管局"))
    page.screenshot(path=str(screenshot_dir / "case-figures-department-head.png"), full_page=True)
    answer = page.goto(f"{base}/web/reports?department=州教育局")
    assert answer.status == 403 and "州教育局" in page.inner_text("main")

    # A clerk reads no figures.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    answer = page.goto(f"{base}/web/reports")
    assert answer.status == 403 and "权限" in page.inner_text("main")
    assert page.locator("#figures").count() == 0

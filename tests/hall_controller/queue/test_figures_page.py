"""排队统计 Queue figures, the manager's page: opened in Chromium over two days a served controller
journaled; every figure shown checked against the JSON route and against a count of the journal's own
events, the heat map's cells, the xlsx downloaded and read back; a clerk and a stranger are refused."""

from __future__ import annotations

import io
import json
import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from hall.calendar import CHINA_TZ
from hall_controller.app import create_app
from hall_controller.queue.config import demo_config
from hall_controller.queue.extension import QueueExtension
from hall_controller.queue.service import JOURNAL_PREFIX
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import (
    controller_settings,
    new_hall_id,
    serving,
    staff_headers,
    staff_token,
)
from tests.hall_controller.queue.morning import SimClock
from tests.hall_controller.queue.test_range_stats import MONDAY, at

pytestmark = pytest.mark.integration
QUEUE = "/api/v1/ext/queue"


def journal_counts(database: Path) -> dict[str, Any]:
    """The figures counted from the journal's events themselves (no transfers in this hall's two days)."""
    with sqlite3.connect(database) as db:
        bodies = [
            json.loads(body)
            for (body,) in db.execute(
                "SELECT body FROM documents WHERE collection LIKE ?", (f"{JOURNAL_PREFIX}%",)
            )
        ]
    issued = {(b["number"], b["at"] // 86400): b for b in bodies if b["type"] == "issued"}
    waits_by_hour: dict[str, list[float]] = defaultdict(list)
    for body in bodies:
        if body["type"] == "called":
            ticket = max(
                (
                    i
                    for (number, _), i in issued.items()
                    if number == body["number"] and i["at"] <= body["at"]
                ),
                key=lambda i: i["at"],
            )
            hour = f"{datetime.fromtimestamp(ticket['at'], CHINA_TZ).hour:02d}:00"
            waits_by_hour[hour].append((body["at"] - ticket["at"]) / 60)
    return {
        "tickets": len(issued),
        "no_shows": sum(b["type"] == "no_show" for b in bodies),
        "served": sum(b["type"] == "finished" for b in bodies),
        "mean_wait_by_hour": {h: round(sum(w) / len(w), 2) for h, w in waits_by_hour.items()},
        "waits": sum(len(w) for w in waits_by_hour.values()),
    }


def cell(page: Any, table: str, key: str, column: str) -> str:
    return str(page.inner_text(f'#t-{table} tr[data-key="{key}"] td[data-column="{column}"]'))


def number(page: Any, table: str, key: str, column: str) -> float | None:
    """A figure as the page shows it: a number, or "–" for none."""
    text = cell(page, table, key, column)
    return None if text == "–" else float(text)


def test_the_manager_reads_the_queue_figures_page_and_downloads_the_workbook(
    mosquitto: Broker, tmp_path: Path, page: Any, screenshot_dir: Path
) -> None:
    clock = SimClock(at(MONDAY, 8, 50))
    hall_id = new_hall_id()
    settings = controller_settings(mosquitto.url, tmp_path, hall_id)
    factory = QueueExtension.factory(config=demo_config(), clock=clock, deliver_ratings=False)
    clerk_a = staff_headers(settings, "clerk-a", ("clerk",))
    clerk_b = staff_headers(settings, "clerk-b", ("clerk",))
    app = create_app(settings, [factory])
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:

        def act(headers: dict[str, str], window: int, key: str) -> None:
            answer = client.post(f"{QUEUE}/windows/{window}/actions", json={"key": key}, headers=headers)
            assert answer.status_code == 200, answer.text

        def ticket(service: str) -> None:
            body = {"service": service, "source": "window", "print_slip": False}
            assert client.post(f"{QUEUE}/tickets", json=body, headers=clerk_a).status_code == 201

        # Monday: three business tickets at 08:50; waits 15, 25 (a no-show) and 25; served 10 and 5.
        act(clerk_a, 1, "sign-in")
        for _ in range(3):
            ticket("business")
        clock.advance(15 * 60)
        act(clerk_a, 1, "next")
        act(clerk_a, 1, "start")
        clock.advance(10 * 60)
        act(clerk_a, 1, "finish")
        act(clerk_a, 1, "next")
        act(clerk_a, 1, "no-show")
        act(clerk_a, 1, "next")
        act(clerk_a, 1, "start")
        clock.advance(5 * 60)
        act(clerk_a, 1, "finish")
        # Tuesday: one social ticket at 10:00 waits 50 minutes (over the 30-minute target), served 6.
        clock.advance(at(MONDAY + timedelta(days=1), 10, 0) - clock())
        act(clerk_b, 3, "sign-in")
        ticket("social")
        clock.advance(50 * 60)
        act(clerk_b, 3, "next")
        act(clerk_b, 3, "start")
        clock.advance(6 * 60)
        act(clerk_b, 3, "finish")

        params = {"from": "2026-11-01", "to": "2026-11-30", "target": "30"}
        xlsx = f"{QUEUE}/stats/range.xlsx"
        assert client.get(xlsx, params=params).status_code == 401
        assert client.get(xlsx, params=params, headers=clerk_a).status_code == 403
        manager = staff_token(settings, "boss", ("manager",))
        answer = client.get(
            f"{QUEUE}/stats/range", params=params, headers={"Authorization": f"Bearer {manager}"}
        )
        assert answer.status_code == 200, answer.text
        rows = {(row["group"], row["key"]): row for row in answer.json()["rows"]}
        counted = journal_counts(settings.data_dir / f"controller-{hall_id}.db")
        assert counted["tickets"] == 4 and counted["no_shows"] == 1 and counted["served"] == 3

        # The dashboard links to the page; a clerk's token reads nothing on it.
        page.goto(url + "/")
        page.click("#figures-link")
        page.wait_for_selector("#note >> text=登录后查询", timeout=10000)
        assert page.input_value("#from").endswith("-01")  # this month by default
        page.evaluate("t => sessionStorage.setItem('hall-staff-token', t)", staff_token(settings, "clerk-a"))
        page.click("#show")
        page.wait_for_selector("#note.bad >> text=仅值班经理", timeout=10000)
        assert page.locator("#figures").is_hidden()

        page.evaluate("t => sessionStorage.setItem('hall-staff-token', t)", manager)
        page.fill("#from", "2026-11-30")
        page.fill("#to", "2026-11-01")
        page.click("#show")
        page.wait_for_selector("#note.bad >> text=结束不早于开始", timeout=10000)  # said, in Chinese
        page.fill("#from", "2026-11-01")
        page.fill("#to", "2026-11-30")
        page.fill("#target", "30")
        page.click("#show")
        page.wait_for_selector("#figures:not([hidden])", timeout=10000)
        assert "有记录 2 天" in page.inner_text("#days")

        total = rows["all", "all"]
        assert cell(page, "all", "all", "tickets") == str(total["tickets"]) == str(counted["tickets"])
        assert cell(page, "all", "all", "no_shows") == str(total["no_shows"]) == str(counted["no_shows"])
        assert cell(page, "all", "all", "served") == str(total["served"]) == str(counted["served"])
        assert cell(page, "all", "all", "waits") == str(total["waits"]) == str(counted["waits"])
        assert cell(page, "all", "all", "over_target_share") == "25.0%" and total["over_target_share"] == 0.25
        for (group, key), row in rows.items():
            if group in ("all", "day"):
                continue
            by = ("tickets",) if group in ("service", "hour") else ("mean_service_min", "p90_service_min")
            for column in (*by, "served", "no_shows", "mean_wait_min", "p90_wait_min"):
                assert number(page, group, key, column) == row[column], (group, key, column)
        assert number(page, "clerk", "clerk-b", "mean_service_min") == 6.0
        assert number(page, "window", "1", "no_shows") == 1
        assert number(page, "service", "social", "p90_wait_min") == 50.0
        # Services by their names in both languages, as the queue's configuration has them; no code shown.
        names = {service.code: service for service in demo_config().services}
        for code in ("business", "social"):
            shown = cell(page, "service", code, "key")
            assert names[code].name in shown and names[code].name_en in shown, shown
            assert rows["service", code]["name"] == names[code].name
        assert "business" not in page.inner_text("#t-service")
        # Tickets belong to a service, an hour and a day: the window and clerk tables have no such column.
        assert page.locator('#t-window td[data-column="tickets"]').count() == 0
        assert page.locator('#t-service td[data-column="mean_service_min"]').count() == 0

        # The heat map: one cell per hour, its mean wait the journal's own.
        assert counted["mean_wait_by_hour"] == {"08:00": 21.67, "10:00": 50.0}
        for hour, mean in counted["mean_wait_by_hour"].items():
            heat = page.locator(f'#heat [data-hour="{hour}"]')
            assert float(heat.get_attribute("data-mean") or "nan") == mean
            assert rows["hour", hour]["mean_wait_min"] == mean
        over = page.locator('#heat [data-hour="10:00"]').get_attribute("style") or ""
        assert "outline" in over  # over the target
        assert "outline" not in (page.locator('#heat [data-hour="08:00"]').get_attribute("style") or "")
        page.screenshot(path=str(screenshot_dir / "queue-figures.png"), full_page=True)

        with page.expect_download() as info:
            page.click("#xlsx")
        download = info.value
        assert download.suggested_filename == "queue-figures-2026-11-01-2026-11-30.xlsx"
        book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
        assert book.sheetnames == ["合计", "业务", "窗口", "工作人员", "时段", "日期"]
        sheet = book["业务"]
        heads = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
        assert heads[:3] == ("业务 Service", "Service (English)", "取号 Tickets") and heads[-1] == "代码 Code"
        services = {r[-1]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
        business, social = services["business"], services["social"]
        assert business[:3] == (names["business"].name, names["business"].name_en, 3)
        assert social[:2] == (names["social"].name, names["social"].name_en) and social[7] == 50.0
        assert sheet.cell(row=3, column=heads.index("超目标占比 Over target") + 1).number_format == "0.0%"
        windows = {r[0]: r for r in book["窗口"].iter_rows(min_row=3, values_only=True)}
        assert windows["1"][:3] == ("1", 2, 1) and windows["1"][-2:] == (7.5, 10.0)  # service times
        hours = {r[0]: r for r in book["时段"].iter_rows(min_row=3, values_only=True)}
        assert {h: r[5] for h, r in hours.items()} == counted["mean_wait_by_hour"]
        assert next(book["合计"].iter_rows(min_row=3, values_only=True))[1] == counted["tickets"]

"""The manager's figures pages over a day the soak made: `soak.day.run_day` (the hall day of `python -m
soak`, real Mosquitto, case service and controller, with faults) leaves its case-service database in its
workdir; a case service started on that database is read in Chromium as the centre's manager. Case figures
by department, item, window, clerk and channel, the 好差评 figures by department, item, window and clerk,
and the month's 效能考核 ranking are checked against SQL of the test's own (tests/case_service/reports).
The controller's dashboard, on a copy of the soak controller's data, shows the day's queue figures (tickets,
served, waiting, mean wait and service, windows open, served per service), checked against the queue
journal read with SQL. One soak day (~30 s) for the module; screenshots soak-day-*.png."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from case_service.app import create_app
from hall_controller.app import create_app as controller_app
from hall_controller.queue.extension import QueueExtension
from soak.day import run_day
from tests.case_service.conftest import Clock, make_settings
from tests.case_service.reports.cases import as_date, expected_by, expected_ratings
from tests.case_service.reports.test_assessment_page import INDICATORS, expected, ranking, shown
from tests.case_service.reports.test_reports_page import check_table, table_rows
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, serving, staff_token
from tests.reliability.test_soak import SHORT_DAY

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLAN = SHORT_DAY  # the short day of tests/reliability/test_soak.py: 16 applicants, faults every 1.5 s
# The case figures' groupings, each with the SQL of its key (cases.py's expected_by).
CASE_GROUPS = {
    "department": "department",
    "item": "item_code",
    "window": "COALESCE(CAST(received_window AS TEXT), 'none')",
    "clerk": "CASE WHEN created_by LIKE 'staff:%' THEN SUBSTR(created_by, 7) ELSE 'self-service' END",
    "channel": "channel",
}
RATING_GROUPS = {
    "department": "c.department",
    "item": "c.item_code",
    "window": "e.window",
    "clerk": "e.clerk",
}


@pytest.fixture(scope="module")
def soak_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The soak's workdir after its day: case/case_service.db (and the controller's queue journal in
    controller/controller-<hall>.db)."""
    workdir = tmp_path_factory.mktemp("soak-day")
    report = run_day(PLAN, workdir)
    assert report.goals_met(), report.render()
    assert (workdir / "case" / "case_service.db").exists()
    return workdir


@pytest.fixture(scope="module")
def day_service(soak_day: Path) -> Iterator[tuple[str, Engine, dt.date, dt.date]]:
    """A case service on the soak's database; the days its cases were submitted and decided on."""
    data = soak_day / "case"
    url = f"sqlite:///{data / 'case_service.db'}"
    settings = make_settings(url, data)
    probe = create_engine(url)
    with probe.connect() as db:
        first, last = db.execute(text("SELECT MIN(submitted_on), MAX(decided_on) FROM cases")).one()
    probe.dispose()
    first, last = as_date(first), as_date(last)
    app = create_app(settings, today=Clock(last))
    with serving(app) as base:
        yield base, app.state.engine, first, last
    app.state.engine.dispose()


def choose(page: Any, first: dt.date, last: dt.date, group_by: str) -> None:
    """The range and the grouping chosen in the page's form, then 查询."""
    page.select_option("select[name=period]", "range")
    page.fill("input[name=from]", first.isoformat())
    page.fill("input[name=to]", last.isoformat())
    page.select_option("select[name=group_by]", group_by)
    click_and_wait(page, page.locator("button", has_text="查询"))


def test_the_figures_pages_over_a_soak_day(
    day_service: tuple[str, Engine, dt.date, dt.date], page: Any, screenshot_dir: Path
) -> None:
    base, engine, first, last = day_service
    with engine.connect() as db:
        cases, ratings = db.execute(
            text("SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM evaluations)")
        ).one()
    assert cases == PLAN.applicants and ratings == PLAN.applicants  # the day's every case and rating

    sign_in(page, base, "manager1")
    click_and_wait(page, page.locator("header a", has_text="统计"))
    for group_by, column in CASE_GROUPS.items():
        choose(page, first, last, group_by)
        want = expected_by(engine, column, first, last)
        assert want, group_by
        if group_by == "window":  # each case at the window that called its applicant's ticket
            assert set(want) <= {str(n) for n in range(1, PLAN.windows + 1)}, want
        check_table(page, want)
        page.wait_for_selector("body[data-charts='3']")
        page.screenshot(path=str(screenshot_dir / f"soak-day-cases-by-{group_by}.png"), full_page=True)

    click_and_wait(page, page.locator("nav.tabs a", has_text="好差评"))
    for group_by, column in RATING_GROUPS.items():
        choose(page, first, last, group_by)
        rated = expected_ratings(engine, column, first, last)
        rows = table_rows(page, "ratings")
        assert set(rows) == {*rated, "*"}, group_by
        for key, levels in rated.items():
            assert rows[key][1:7] == [str(sum(levels.values()))] + [
                str(levels[level]) for level in (5, 4, 3, 2, 1)
            ], (group_by, key)
        assert rows["*"][1] == str(ratings)
        page.wait_for_selector("#chart-ratings svg")
        page.screenshot(path=str(screenshot_dir / f"soak-day-ratings-by-{group_by}.png"), full_page=True)

    # The month's 效能考核 of the day's month.
    click_and_wait(page, page.locator("nav.tabs a", has_text="效能考核"))
    month_start = last.replace(day=1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    page.fill("input[name=month]", last.strftime("%Y-%m"))
    click_and_wait(page, page.locator("button", has_text="查询"))
    wanted = expected(engine, month_start, month_end)
    ranked = ranking(page)
    assert wanted and {row[1] for row in ranked} == set(wanted)
    for row in ranked:
        assert row[2:8] == [shown(name, wanted[row[1]][name]) for name in INDICATORS], row[1]
    page.screenshot(path=str(screenshot_dir / "soak-day-assessment.png"), full_page=True)


def as_shown(minutes: float) -> str:
    """Two decimals as the page's script prints a number (2.50 as 2.5, 0.00 as 0)."""
    return f"{minutes:.2f}".rstrip("0").rstrip(".")


def journal_figures(database: Path) -> tuple[dict[str, str], float]:
    """The day's queue figures from the controller's journal read with SQL of the test's own: tickets
    issued and finished, the mean wait (issue to first call) and service (start to finish) in minutes;
    and the time of the journal's last event."""
    with sqlite3.connect(database) as db:
        events = [
            json.loads(body)
            for (body,) in db.execute(
                "SELECT body FROM documents WHERE collection LIKE 'queue.journal.%' ORDER BY collection, key"
            )
        ]
    issued = {e["number"]: e["at"] for e in events if e["type"] == "issued"}
    called: dict[str, float] = {}
    for event in events:
        if event["type"] == "called":
            called.setdefault(event["number"], event["at"])
    started = {e["number"]: e["at"] for e in events if e["type"] == "started"}
    finished = [e for e in events if e["type"] == "finished"]
    waits = [(at - issued[number]) / 60 for number, at in called.items()]
    services = [(e["at"] - started[e["number"]]) / 60 for e in finished]
    windows = {e["window"] for e in events if e["type"] == "signed_in"}
    return {
        "issued": str(len(issued)),
        "served": str(len({e["number"] for e in finished})),
        "waiting": str(len(set(issued) - set(called))),
        "mean_wait_min": as_shown(sum(waits) / len(waits)),
        "mean_service_min": as_shown(sum(services) / len(services)),
        "windows_open": str(len(windows)),
    }, max(e["at"] for e in events)


def served_by_service(database: Path, names: dict[str, str]) -> dict[str, int]:
    """Tickets finished per service they were issued for, from the journal with SQL."""
    with sqlite3.connect(database) as db:
        counted = dict(
            db.execute(
                "SELECT json_extract(i.body, '$.service'), COUNT(DISTINCT json_extract(f.body, '$.number')) "
                "FROM documents i JOIN documents f ON f.collection = i.collection "
                "AND json_extract(f.body, '$.type') = 'finished' "
                "AND json_extract(f.body, '$.number') = json_extract(i.body, '$.number') "
                "WHERE i.collection LIKE 'queue.journal.%' AND json_extract(i.body, '$.type') = 'issued' "
                "GROUP BY 1"
            ).fetchall()
        )
    return {code: counted.get(code, 0) for code in names}


def test_the_dashboards_queue_figures_over_the_soak_day(
    soak_day: Path, mosquitto: Broker, tmp_path: Path, page: Any, screenshot_dir: Path
) -> None:
    """The controller's dashboard on a copy of the soak controller's data (its queue journal and
    queue.json), its clock at the day's last event: the day's figures against the journal."""
    data = tmp_path / "controller"
    shutil.copytree(soak_day / "controller", data, ignore=shutil.ignore_patterns("credentials"))
    (database,) = data.glob("controller-*.db")
    hall_id = database.stem.removeprefix("controller-")
    want, last = journal_figures(database)
    assert want["issued"] == str(PLAN.applicants)
    settings = controller_settings(mosquitto.url, data, hall_id)
    app = controller_app(settings, [QueueExtension.factory(clock=lambda: last + 1, deliver_ratings=False)])
    with serving(app) as url:
        page.goto(url)
        manager = staff_token(settings, "manager1", ("manager",))
        page.evaluate("token => sessionStorage.setItem('hall-staff-token', token)", manager)
        page.wait_for_selector("#floor-view:not([hidden])", timeout=10000)
        page.wait_for_selector('[data-day="issued"] b')
        shown = {key: page.inner_text(f'[data-day="{key}"] b') for key in want}
        assert shown == want
        # The queue's panel: tickets served per service, against the journal.
        names = {
            service["code"]: service["name"]
            for service in json.loads((data / "queue.json").read_text())["services"]
        }
        lines = page.locator("#panels section tbody tr")
        cells = [lines.nth(i).locator("td").all_inner_texts() for i in range(lines.count())]
        assert {row[0]: row[3] for row in cells} == {
            names[code]: str(count) for code, count in served_by_service(database, names).items()
        }
        page.screenshot(path=str(screenshot_dir / "soak-day-controller-dashboard.png"), full_page=True)
        page.goto("about:blank")  # the dashboard's event stream closed, so the server stops at once

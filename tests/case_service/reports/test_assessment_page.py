"""The 效能考核 page and PDF in Chromium: the month's indicators per department checked against SQL of the
test's own, the ranking under weights chosen in the form, the PDF's text read with pdftotext; a clerk and a
stranger are refused."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from case_service.storage.models import Case, Complaint, SupervisionCard
from tests.case_service.conftest import CaseApi
from tests.case_service.reports.cases import generate, generate_ratings
from tests.case_service.reports.test_reports_page import live
from tests.case_service.web.test_pages import click_and_wait, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]
START, END = dt.date(2025, 10, 1), dt.date(2025, 10, 31)
HALL_DAY = "(e.created_at >= :first AND e.created_at < :after)"


def add_cards_and_complaints(engine: Engine) -> None:
    """Cards and complaints of some departments, in October and outside it."""
    with Session(engine) as session:
        cases = list(session.scalars(select(Case).order_by(Case.id).limit(40)))
        for index, case in enumerate(cases):
            day = dt.date(2025, 10, 1 + index % 31) if index % 4 else dt.date(2025, 9, 20)
            session.add(
                SupervisionCard(
                    case_id=case.id,
                    colour="red" if index % 3 == 0 else "yellow",
                    stage="review",
                    stage_due_on=day,
                    department=case.department,
                    issued_on=day,
                    recipients=[],
                )
            )
            if index % 5 == 0:
                session.add(
                    Complaint(
                        case_id=case.id,
                        department=case.department,
                        channel="window",
                        complainant="测试",
                        summary="办理太慢",
                        registered_by="clerk1",
                        received_on=day,
                        reply_by=day + dt.timedelta(days=7),
                    )
                )
        session.commit()


def expected(
    engine: Engine, start: dt.date = START, end: dt.date = END
) -> dict[str, dict[str, float | None]]:
    """Each department's indicators over the month `start`–`end` (October unless told), by SQL of the
    test's own; a rating counts on its day in the hall (UTC+8)."""
    params = {
        "start": start,
        "end": end,
        "first": dt.datetime.combine(start, dt.time(), dt.UTC) - dt.timedelta(hours=8),
        "after": dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC) - dt.timedelta(hours=8),
    }
    raw: dict[str, dict[str, float]] = {}

    def put(department: str, **values: float) -> None:
        raw.setdefault(department, {}).update(values)

    with engine.connect() as db:
        for dep, received, notices in db.execute(
            text(
                "SELECT department, COUNT(*), SUM(CASE WHEN supplement_notice IS NOT NULL THEN 1 ELSE 0 END) "
                "FROM cases WHERE submitted_on BETWEEN :start AND :end GROUP BY department"
            ),
            params,
        ):
            put(dep, received=received, supplement=notices)
        for dep, decided, on_time, trips in db.execute(
            text(
                "SELECT department, COUNT(*), "
                "SUM(CASE WHEN decided_on <= decision_due_on THEN 1 ELSE 0 END), "
                "SUM((CASE WHEN channel IN ('window', 'kiosk') THEN 1 ELSE 0 END)"
                " + (CASE WHEN supplement_notice IS NOT NULL THEN 1 ELSE 0 END)"
                " + (CASE WHEN release_channel IN ('window', 'locker') THEN 1 ELSE 0 END)) "
                "FROM cases WHERE decided_on BETWEEN :start AND :end GROUP BY department"
            ),
            params,
        ):
            put(dep, decided=decided, on_time=on_time, trips=trips)
        for dep, count, good in db.execute(
            text(
                "SELECT c.department, COUNT(*), SUM(CASE WHEN e.score >= 4 THEN 1 ELSE 0 END) "
                "FROM evaluations e "
                f"JOIN cases c ON c.id = e.case_id WHERE {HALL_DAY} GROUP BY c.department"
            ),
            params,
        ):
            put(dep, ratings=count, good=good)
        for dep, count in db.execute(
            text(
                "SELECT department, COUNT(*) FROM complaints WHERE received_on BETWEEN :start AND :end "
                "GROUP BY department"
            ),
            params,
        ):
            put(dep, complaints=count)
        for dep, points in db.execute(
            text(
                "SELECT department, SUM(CASE WHEN colour = 'red' THEN 2 ELSE 1 END) FROM supervision_cards "
                "WHERE issued_on BETWEEN :start AND :end GROUP BY department"
            ),
            params,
        ):
            put(dep, points=points)
    result = {}
    for dep, v in raw.items():
        received = v.get("received", 0)
        result[dep] = {
            "on_time": v["on_time"] / v["decided"] if v.get("decided") else None,
            "satisfaction": v["good"] / v["ratings"] if v.get("ratings") else None,
            "supplement": v["supplement"] / received if received else None,
            "trips": v["trips"] / v["decided"] if v.get("decided") else None,
            "complaints": 100 * v.get("complaints", 0) / received if received else None,
            "cards": 100 * v.get("points", 0) / received if received else None,
        }
    return result


def shown(indicator: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}%" if indicator in ("on_time", "satisfaction", "supplement") else f"{value:.2f}"


INDICATORS = ("on_time", "satisfaction", "supplement", "trips", "complaints", "cards")


def ranking(page: Any) -> list[list[str]]:
    rows = page.locator("#ranking tr[data-department]")
    return [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


def test_the_monthly_assessment_page_and_pdf(
    live: tuple[str, CaseApi], page: Any, screenshot_dir: Path, tmp_path: Path
) -> None:
    base, api = live
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine, count=300)
    generate_ratings(engine)
    add_cards_and_complaints(engine)
    wanted = expected(engine)

    sign_in(page, base, "manager1")
    click_and_wait(page, page.locator("header a", has_text="统计"))
    click_and_wait(page, page.locator("nav.tabs a", has_text="效能考核"))
    assert "2025-09" in page.inner_text("h1")  # the last whole month before 20 October
    page.fill("input[name=month]", "2025-10")
    click_and_wait(page, page.locator("button", has_text="查询"))
    rows = ranking(page)
    assert {row[1] for row in rows} == set(wanted)
    for row in rows:
        assert row[2:8] == [shown(name, wanted[row[1]][name]) for name in INDICATORS], row[1]
    totals = [float(row[8]) for row in rows]
    assert totals == sorted(totals, reverse=True) and rows[0][0] == "1"
    page.screenshot(path=str(screenshot_dir / "assessment-month.png"), full_page=True)

    # Weights chosen in the form: the on-time rate alone ranks the departments by that rate.
    for name in INDICATORS:
        page.fill(f"input[name=w_{name}]", "1" if name == "on_time" else "0")
    click_and_wait(page, page.locator("button", has_text="查询"))
    rows = ranking(page)
    by_rate = sorted(wanted, key=lambda dep: (-(wanted[dep]["on_time"] or 0), dep))
    assert [row[1] for row in rows] == by_rate
    for row in rows:
        assert row[8] == f"{100 * (wanted[row[1]]['on_time'] or 0):.2f}"

    # The PDF of the same choice.
    with page.expect_download() as download_info:
        page.click("#pdf")
    download = download_info.value
    assert download.suggested_filename == "assessment-2025-10.pdf"
    pdf = tmp_path / "assessment.pdf"
    pdf.write_bytes(Path(download.path()).read_bytes())
    (screenshot_dir / "assessment-2025-10.pdf").write_bytes(pdf.read_bytes())
    words = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    content = words.stdout
    assert "2025年10月政务服务效能考核报告" in content
    assert "考核期间:2025年10月1日至2025年10月31日" in content
    assert "按时办结率 1、满意率 0、补正率 0、平均跑动次数 0" in content
    ranked_lines = [line for line in content.splitlines() if any(dep in line for dep in wanted)]
    order = [next(dep for dep in wanted if dep in line) for line in ranked_lines[: len(wanted)]]
    assert order == by_rate
    first = ranked_lines[0].split()
    assert first[0] == "1" and first[-1] == rows[0][8]
    assert "计分说明" in content

    # A clerk is refused, the page and the PDF; a stranger is sent to sign in.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    for path in ("/web/reports/assessment", "/web/reports/assessment.pdf?month=2025-10"):
        answer = page.request.get(f"{base}{path}", max_redirects=0)
        assert answer.status == 403, path
        assert b"%PDF" not in answer.body()
    page.goto(f"{base}/web/logout")
    stranger = page.request.get(f"{base}/web/reports/assessment.pdf?month=2025-10", max_redirects=0)
    assert stranger.status == 303 and "/web/login" in stranger.headers["location"]

    # A department head reads their department's line only.
    sign_in(page, base, "approver1")
    page.goto(f"{base}/web/reports/assessment?month=2025-10")
    assert [row[1] for row in ranking(page)] == ["州市场监管局"]

"""Deadlines past the years chinesecalendar knows; the administrator's holiday table; the background sweep."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from case_service.app import create_app
from case_service.bootstrap import demo_password
from hall.settings import Settings
from tests.case_service.conftest import ITEM_FOOD, CaseApi, Clock

# Written for this test in the announcement's form (2027's real one is not in the package): 元旦 and a
# Spring Festival week that a 30-working-day count from late December runs into.
ANNOUNCEMENT_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦:1月1日(周五)至3日(周日)放假,共3天。
二、春节:2月5日(农历腊月二十九、周五)至12日(周五)放假调休,共8天。2月20日(周六)上班。
"""


def _history(api: CaseApi, case_id: int, action: str) -> list[dict[str, Any]]:
    history = api.client.get(f"/api/v1/cases/{case_id}/history", headers=api.staff("manager1")).json()
    return [entry for entry in history if entry["action"] == action]


def test_one_entered_day_moves_due_dates_but_only_the_whole_announcement_makes_the_year_known(
    case_api: CaseApi,
) -> None:
    api, client = case_api, case_api.client
    api.clock.today = dt.date(2026, 12, 24)
    plain = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    # Weekends only in 2027: 25, 28, 29, 30, 31 Dec, then 1 Jan (a Friday) counts; 10th day is 7 Jan.
    assert plain["decision_due_on"] == "2027-01-07" and plain["due_estimated"]
    assert plain["legal_due_on"] == "2027-01-21"
    extended = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    extended = api.act(extended["id"], "extend", "approver1", reason="需要现场核查")
    assert extended["decision_due_on"] == "2027-01-21" and extended["legal_due_on"] == "2027-02-04"
    suspended = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    suspended = api.act(suspended["id"], "suspend", "reviewer1", suspension_kind="testing", reason="送检")
    admin = api.staff("admin")

    entered = client.put(
        "/api/v1/admin/holidays/2027-01-01", json={"is_working_day": False, "note": "元旦"}, headers=admin
    )
    assert entered.status_code == 200
    assert client.get("/api/v1/admin/holidays", headers=admin).json() == [
        {"day": "2027-01-01", "is_working_day": False, "note": "元旦"}
    ]
    # The stored dates were counted again (one day later), still estimated: 2027 is not known.
    plain = client.get(f"/api/v1/cases/{plain['id']}", headers=admin).json()
    assert plain["decision_due_on"] == plain["stage_due_on"] == "2027-01-08" and plain["due_estimated"]
    assert _history(api, plain["id"], "case.recompute")[0]["after"]["decision_due_on"] == "2027-01-08"
    after = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    assert after["decision_due_on"] == "2027-01-08" and after["due_estimated"]
    bad = client.put("/api/v1/admin/holidays/2027-02-30", json={"is_working_day": False}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"

    # The announcement: first a dry run that changes nothing, then confirmed.
    path = "/api/v1/admin/calendar/announcements"
    preview = client.post(path, json={"text": ANNOUNCEMENT_2027}, headers=admin)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["year"] == 2027 and not shown["entered"]
    assert [day["day"] for day in shown["workdays"]] == ["2027-02-20"]
    assert len(shown["holidays"]) == 11 and shown["holidays"][3] == {"day": "2027-02-05", "name": "春节"}
    assert shown["cases_changed"] == 4  # every open case's estimate is cleared, the extended one moves too
    assert 2027 not in [
        entry["year"] for entry in client.get("/api/v1/admin/calendar/years", headers=admin).json()
    ]
    assert client.get(f"/api/v1/cases/{plain['id']}", headers=admin).json()["due_estimated"]

    confirmed = client.post(path, json={"text": ANNOUNCEMENT_2027, "confirm": True}, headers=admin)
    assert confirmed.status_code == 200 and confirmed.json()["entered"]
    again = client.post(path, json={"text": ANNOUNCEMENT_2027}, headers=admin).json()
    assert again["replaces_entered_year"] and again["cases_changed"] == 0  # counted again: nothing moves
    years = {
        entry["year"]: entry for entry in client.get("/api/v1/admin/calendar/years", headers=admin).json()
    }
    assert years[2027]["source"] == "announcement" and years[2027]["entered_by"] == "staff:admin"
    assert years[2026]["source"] == "package"
    plain = client.get(f"/api/v1/cases/{plain['id']}", headers=admin).json()
    assert (plain["decision_due_on"], plain["legal_due_on"], plain["due_estimated"]) == (
        "2027-01-08",
        "2027-01-22",
        False,
    )
    # Decision +10 (art. 42): 22 Jan; legal 20+10 days run into the Spring Festival week: 15 Feb.
    extended = client.get(f"/api/v1/cases/{extended['id']}", headers=admin).json()
    assert (extended["decision_due_on"], extended["stage_due_on"], extended["legal_due_on"]) == (
        "2027-01-22",
        "2027-01-22",
        "2027-02-15",
    )
    assert not extended["due_estimated"]
    suspended = client.get(f"/api/v1/cases/{suspended['id']}", headers=admin).json()
    assert suspended["stage_due_on"] is None and suspended["decision_due_on"] == "2027-01-08"
    assert not suspended["due_estimated"]
    # Resumed after the holiday: the days it stood still are counted on the entered calendar.
    api.clock.today = dt.date(2027, 1, 5)
    resumed = api.act(suspended["id"], "resume", "reviewer1")
    assert resumed["paused_days"] == 7 and resumed["decision_due_on"] == "2027-01-19"
    recomputed = _history(api, extended["id"], "case.recompute")
    assert [entry["actor"] for entry in recomputed] == ["staff:admin", "staff:admin"]
    assert recomputed[-1]["after"]["reason"] == "calendar.announce 2027"
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"]


def test_an_announcement_that_cannot_be_read_is_refused_in_chinese_and_changes_nothing(
    sqlite_api: CaseApi,
) -> None:
    api, client = sqlite_api, sqlite_api.client
    admin = api.staff("admin")
    path = "/api/v1/admin/calendar/announcements"
    wrong = ANNOUNCEMENT_2027.replace("共8天", "共7天")
    refused = client.post(path, json={"text": wrong, "confirm": True}, headers=admin)
    assert refused.status_code == 422
    assert "「春节」放假02月05日至02月12日共8天,与通知所写「共7天」不符" in refused.json()["error"]["message"]
    assert client.get("/api/v1/admin/holidays", headers=admin).json() == []
    for headers in ({}, api.staff("clerk1"), api.staff("manager1")):
        assert client.post(path, json={"text": ANNOUNCEMENT_2027}, headers=headers).status_code in (401, 403)
        assert client.get("/api/v1/admin/calendar/years", headers=headers).status_code in (401, 403)


def test_the_background_sweep_accepts_lapsed_cases_by_itself(tmp_path: Path) -> None:
    clock = Clock()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'sweep.db'}",
        data_dir=tmp_path,
        case={"sweep_interval_seconds": 0.2},
    )
    app = create_app(settings, today=clock)
    with TestClient(app) as client:
        api = CaseApi(client, clock, settings)
        case = api.file_case(ITEM_FOOD)
        clock.today = dt.date(2025, 10, 11)
        deadline = time.monotonic() + 20
        state = "submitted"
        while time.monotonic() < deadline and state == "submitted":
            time.sleep(0.2)
            state = client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()["state"]
        assert state == "accepted"
    app.state.engine.dispose()


def test_the_supervision_page_marks_a_due_date_counted_by_weekends(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    api.clock.today = dt.date(2026, 12, 30)
    case = api.file_case(
        ITEM_FOOD
    )  # acceptance within 5 working days: 31 Dec, 1, 4, 5, 6 Jan (weekends only)
    assert case["stage_due_on"] == "2027-01-06" and case["due_estimated"]
    api.clock.today = dt.date(2027, 1, 5)
    login = client.post("/web/login", data={"username": "manager1", "password": demo_password("manager1")})
    assert login.status_code in (200, 303)
    page = client.get("/web/supervision").text
    row = page[page.index(case["number"]) :].split("</tr>")[0]
    assert "2027-01-06" in row and "按周末推算,节假日未公布" in row

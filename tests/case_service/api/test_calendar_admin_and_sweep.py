"""Deadlines past the years chinesecalendar knows; the administrator's holiday table; the background sweep."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from fastapi.testclient import TestClient

from case_service.app import create_app
from hall.settings import Settings
from tests.case_service.conftest import ITEM_FOOD, CaseApi, Clock


def test_due_dates_in_an_unknown_year_are_flagged_until_the_holidays_are_entered(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    api.clock.today = dt.date(2026, 12, 24)
    before = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    # Weekends only in 2027: 25, 28, 29, 30, 31 Dec, then 1 Jan (a Friday) counts; 10th day is 7 Jan.
    assert before["decision_due_on"] == "2027-01-07" and before["due_estimated"]
    admin = api.staff("admin")
    entered = client.put(
        "/api/v1/admin/holidays/2027-01-01", json={"is_working_day": False, "note": "元旦"}, headers=admin
    )
    assert entered.status_code == 200
    assert client.get("/api/v1/admin/holidays", headers=admin).json() == [
        {"day": "2027-01-01", "is_working_day": False, "note": "元旦"}
    ]
    after = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    assert after["decision_due_on"] == "2027-01-08" and not after["due_estimated"]
    bad = client.put("/api/v1/admin/holidays/2027-02-30", json={"is_working_day": False}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


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

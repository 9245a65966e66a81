"""电子监察: at-risk and overdue open cases per department."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD, CaseApi

pytestmark = pytest.mark.integration


def test_at_risk_and_overdue_per_department(case_api: CaseApi) -> None:
    api, clock, client = case_api, case_api.clock, case_api.client
    company = api.file_case(ITEM_COMPANY)
    api.act(company["id"], "accept", "clerk1")  # decision due 30 Sep
    food = api.file_case(ITEM_FOOD)
    api.act(food["id"], "accept", "clerk1")  # decision due 16 Oct
    teacher = api.file_case("513200-XK-JY-0036")  # 州教育局, acceptance due 10 Oct
    closed = api.file_case(ITEM_FOOD)
    api.act(closed["id"], "withdraw", "clerk1")
    manager = api.staff("manager1")

    clock.today = dt.date(2025, 9, 26)
    view = client.get("/api/v1/supervision", headers=manager).json()
    assert view["horizon"] == "2025-09-29"
    assert view["departments"] == []  # 30 Sep is 3 working days away

    clock.today = dt.date(2025, 9, 29)
    view = client.get("/api/v1/supervision", headers=manager).json()
    assert view["departments"] == [{"department": "州市场监管局", "at_risk": 1, "overdue": 0}]
    assert [(case["number"], case["level"]) for case in view["cases"]] == [(company["number"], "warning")]

    clock.today = dt.date(2025, 10, 14)
    view = client.get("/api/v1/supervision", headers=manager).json()
    assert view["departments"] == [
        {"department": "州市场监管局", "at_risk": 1, "overdue": 1},
        {"department": "州教育局", "at_risk": 0, "overdue": 1},
    ]
    levels = {case["number"]: (case["level"], case["working_days_left"]) for case in view["cases"]}
    assert levels[company["number"]] == ("overdue", -5)
    assert levels[food["number"]] == ("warning", 2)
    assert closed["number"] not in levels and teacher["number"] in levels
    only = client.get("/api/v1/supervision", params={"department": "州教育局"}, headers=manager).json()
    assert [row["department"] for row in only["departments"]] == ["州教育局"]
    # The case itself shows the same flag to whoever reads it.
    shown = client.get(f"/api/v1/cases/{company['id']}", headers=api.staff("clerk1")).json()
    assert shown["deadline"] == {"level": "overdue", "working_days_left": -5}

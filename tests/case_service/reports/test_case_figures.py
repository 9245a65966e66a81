"""Case figures over a generated set of cases, on SQLite and PostgreSQL, against SQL of the test's own;
who may read which department's figures; the xlsx export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.case_service.conftest import CaseApi
from tests.case_service.reports.cases import (
    FLOW_GROUPS,
    LATER_STAGES,
    expected_by,
    expected_ratings,
    generate,
    generate_ratings,
    generate_steps,
    nearest_rank_p90,
)

OCTOBER = (dt.date(2025, 10, 1), dt.date(2025, 10, 31))
FIGURES = ("received", "not_accepted", "supplement", "accepted", "deemed", "decided", "on_time", "late")


def compare(answer: dict[str, Any], expected: dict[str, dict[str, Any]]) -> None:
    got = {group["key"]: group for group in answer["groups"]}
    assert set(got) == set(expected)
    for key, values in expected.items():
        for name in FIGURES:
            assert got[key][name] == values[name], (key, name)
        assert got[key]["on_time_rate"] == values["on_time_rate"], key
        assert got[key]["decided_by_flow"] == values["decided_by_flow"], key
        assert got[key]["forwarded"] == values["forwarded"], key
        for stage in ("acceptance", "decision"):
            mine = {k: v for k, v in got[key]["stages"][stage].items() if k != "label"}
            assert mine == values[stage], (key, stage)
    for name in (*FIGURES, "forwarded"):
        assert answer["total"][name] == sum(values[name] for values in expected.values()), name


def test_the_later_stages_from_the_audited_steps(case_api: CaseApi) -> None:
    engine = case_api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine)
    truth = generate_steps(engine)
    answer = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "month", "date": "2025-10-15", "group_by": "department"},
        headers=case_api.staff("manager1"),
    )
    assert answer.status_code == 200, answer.text
    got = {group["key"]: group["stages"] for group in answer.json()["groups"]}
    assert sum(len(days) for stages in truth.values() for days in stages.values()) > 60
    assert any(days for stages in truth.values() for days in stages.values() if max(days, default=0) > 2)
    for department, stages in got.items():
        for stage in LATER_STAGES:
            days = truth.get(department, {}).get(stage, [])
            assert stages[stage]["count"] == len(days), (department, stage)
            mean = round(sum(days) / len(days), 2) if days else None
            assert stages[stage]["mean_working_days"] == mean, (department, stage)
            assert stages[stage]["p90_working_days"] == nearest_rank_p90(days), (department, stage)
    # A department head reads their department's stages only; the page shows the later stages too.
    head = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "month", "date": "2025-10-15", "group_by": "department"},
        headers=case_api.staff("approver1"),
    ).json()
    assert [group["key"] for group in head["groups"]] == ["州市场监管局"]
    assert head["groups"][0]["stages"] == got["州市场监管局"]


def test_month_by_department_matches_sql(case_api: CaseApi) -> None:
    engine = case_api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine)
    answer = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "month", "date": "2025-10-15", "group_by": "department"},
        headers=case_api.staff("manager1"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == {"kind": "month", "start": "2025-10-01", "end": "2025-10-31", "label": "2025-10"}
    expected = expected_by(engine, "department", *OCTOBER)
    assert sum(values["received"] for values in expected.values()) > 50  # a set worth comparing
    assert any(values["late"] for values in expected.values())
    # Every flow's results are in the set: registrations on the spot, the higher authority's, handled.
    assert all(sum(values["decided_by_flow"][flow] for values in expected.values()) for flow in FLOW_GROUPS)
    assert sum(values["forwarded"] for values in expected.values())
    compare(body, expected)

    by_channel = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "range", "from": "2025-09-15", "to": "2025-11-10", "group_by": "channel"},
        headers=case_api.staff("manager1"),
    ).json()
    compare(by_channel, expected_by(engine, "channel", dt.date(2025, 9, 15), dt.date(2025, 11, 10)))
    by_item = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "week", "date": "2025-10-09", "group_by": "item"},
        headers=case_api.staff("manager1"),
    ).json()
    assert by_item["period"]["start"] == "2025-10-06" and by_item["period"]["end"] == "2025-10-12"
    compare(by_item, expected_by(engine, "item_code", dt.date(2025, 10, 6), dt.date(2025, 10, 12)))
    by_clerk = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "year", "date": "2025-01-01", "group_by": "clerk"},
        headers=case_api.staff("manager1"),
    ).json()
    filer = "CASE WHEN created_by LIKE 'staff:%' THEN substr(created_by, 7) ELSE 'self-service' END"
    compare(by_clerk, expected_by(engine, filer, dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    by_window = case_api.client.get(
        "/api/v1/reports/cases",
        params={"period": "month", "date": "2025-10-15", "group_by": "window"},
        headers=case_api.staff("manager1"),
    ).json()
    window = "COALESCE(CAST(received_window AS TEXT), 'none')"
    expected = expected_by(engine, window, *OCTOBER)
    assert {"1", "12", "none"} <= set(expected)
    compare(by_window, expected)
    labels = [group["label"] for group in by_window["groups"]]
    assert labels[:2] == ["01号窗口 window 1", "02号窗口 window 2"] and labels[-1] == "未经窗口 no window"
    assert {group["key"] for group in by_clerk["groups"]} == {"clerk1", "clerk2", "clerk3", "self-service"}


def test_a_department_head_reads_their_department_only(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine, count=150)
    approver = api.staff("approver1")  # 州市场监管局
    params = {"period": "month", "date": "2025-10-01", "group_by": "item"}
    answer = api.client.get("/api/v1/reports/cases", params=params, headers=approver)
    assert answer.status_code == 200, answer.text
    assert answer.json()["department"] == "州市场监管局"
    compare(answer.json(), expected_by(engine, "item_code", *OCTOBER, department="州市场监管局"))
    other = api.client.get(
        "/api/v1/reports/cases", params={**params, "department": "州教育局"}, headers=approver
    )
    assert other.status_code == 403
    # The centre's manager may narrow to one department; others may not read at all.
    narrowed = api.client.get(
        "/api/v1/reports/cases",
        params={**params, "department": "州市场监管局"},
        headers=api.staff("manager1"),
    )
    assert narrowed.json()["groups"] == answer.json()["groups"]
    for user in ("clerk1", "reviewer1", "sealer1"):
        assert (
            api.client.get("/api/v1/reports/cases", params=params, headers=api.staff(user)).status_code == 403
        )
    assert api.client.get("/api/v1/reports/cases", params=params).status_code == 401
    assert api.client.get("/api/v1/reports/cases", params=params, headers=api.device()).status_code == 403
    assert api.client.get("/api/v1/reports/cases.xlsx", params=params).status_code == 401
    assert api.client.get("/api/v1/reports/ratings.xlsx", params=params).status_code == 401
    assert api.client.get("/api/v1/reports/ratings", headers=api.staff("reviewer1")).status_code == 403


def test_bad_periods_get_a_clear_error(sqlite_api: CaseApi) -> None:
    manager = sqlite_api.staff("manager1")
    for params in (
        {"period": "range", "from": "2025-10-10"},
        {"period": "range", "from": "2025-10-10", "to": "2025-10-01"},
        {"period": "range", "from": "2020-01-01", "to": "2025-10-01"},
        {"period": "fortnight"},
        {"period": "day", "date": "2025-02-30"},
        {"period": "week", "date": "9999-12-31"},
        {"period": "range", "from": "0001-01-01", "to": "0001-01-02"},
    ):
        answer = sqlite_api.client.get("/api/v1/reports/cases", params=params, headers=manager)
        assert answer.status_code in (400, 422), (params, answer.text)


def test_xlsx_export_holds_the_same_figures(sqlite_api: CaseApi) -> None:
    engine = sqlite_api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine, count=120)
    params = {"period": "month", "date": "2025-10-01", "group_by": "department"}
    manager = sqlite_api.staff("manager1")
    answer = sqlite_api.client.get("/api/v1/reports/cases.xlsx", params=params, headers=manager)
    assert answer.status_code == 200
    assert 'filename="case-figures-2025-10-01-2025-10-31.xlsx"' in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("分组 Group", "收件 Received", "受理 Accepted")
    expected = expected_by(engine, "department", *OCTOBER)
    by_label = {row[0]: row for row in rows[2:-1]}
    for department, values in expected.items():
        assert by_label[department][1:9] == tuple(
            values[name]
            for name in (
                "received",
                "accepted",
                "deemed",
                "not_accepted",
                "supplement",
                "decided",
                "on_time",
                "late",
            )
        )
    assert rows[-1][0] == "合计 Total"
    assert rows[-1][1] == sum(values["received"] for values in expected.values())


def test_the_figures_pages_run_only_the_services_own_scripts(sqlite_api: CaseApi) -> None:
    client = sqlite_api.client
    for path in ("/web/login", "/web/reports"):  # one policy on every staff page
        policy = client.get(path, follow_redirects=False).headers["content-security-policy"]
        script_src = policy.split("script-src", 1)[1].split(";", 1)[0]
        assert script_src.strip() == "'self'", policy  # no inline script, no eval, no other origin
    echarts = client.get("/web/reports/assets/echarts.min.js")
    assert echarts.status_code == 200 and echarts.headers["content-type"].startswith("text/javascript")
    assert "Apache Software Foundation" in echarts.text[:2000]
    assert client.get("/web/reports/assets/..%2Fapp.py").status_code == 404
    assert client.get("/web/reports/assets/LICENSE.txt").status_code == 404


@pytest.mark.parametrize(
    ("group_by", "column"), [("department", "c.department"), ("clerk", "e.clerk"), ("window", "e.window")]
)
def test_ratings_by_level_match_sql(case_api: CaseApi, group_by: str, column: str) -> None:
    engine = case_api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine, count=120)
    generate_ratings(engine)
    answer = case_api.client.get(
        "/api/v1/reports/ratings",
        params={"period": "month", "date": "2025-10-01", "group_by": group_by},
        headers=case_api.staff("manager1"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = expected_ratings(engine, column, *OCTOBER)
    got = {group["key"]: group for group in body["groups"]}
    assert set(got) == set(expected)
    for key, levels in expected.items():
        assert got[key]["levels"] == {str(level): levels[level] for level in (5, 4, 3, 2, 1)}, key
        count = sum(levels.values())
        assert got[key]["count"] == count
        assert got[key]["satisfaction_rate"] == round((levels[4] + levels[5]) / count, 4)
        assert got[key]["bad"] == levels[1] + levels[2]
    assert body["total"]["count"] == sum(sum(levels.values()) for levels in expected.values())
    # A department head: their department's ratings only.
    mine = case_api.client.get(
        "/api/v1/reports/ratings",
        params={"period": "month", "date": "2025-10-01", "group_by": "department"},
        headers=case_api.staff("approver1"),
    ).json()
    scoped = expected_ratings(engine, "c.department", *OCTOBER, department="州市场监管局")
    assert [group["key"] for group in mine["groups"]] == list(scoped)
    assert mine["total"]["count"] == sum(scoped["州市场监管局"].values())
    assert case_api.client.get("/api/v1/reports/ratings", headers=case_api.staff("clerk1")).status_code == 403


def test_a_typed_department_with_control_characters_still_exports(sqlite_api: CaseApi) -> None:
    manager = sqlite_api.staff("manager1")
    for path in ("/api/v1/reports/cases.xlsx", "/api/v1/reports/ratings.xlsx"):
        answer = sqlite_api.client.get(path, params={"department": "\x04州\x1b局"}, headers=manager)
        assert answer.status_code == 200, answer.text
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None and str(sheet["A1"].value).endswith("州局")

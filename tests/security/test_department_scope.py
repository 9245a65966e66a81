"""Issue 15: a reviewer got 403 on another department's case, but `GET /cases` listed it.

Lists obey the same scope as reads: a department's reviewers and approvers list only its cases.
"""

from __future__ import annotations

from tests.case_service.conftest import ITEM_FOOD, CaseApi, sqlite_api  # noqa: F401

ITEM_EDUCATION = "513200-XK-JY-0036"  # 州教育局; reviewer1 and approver1 belong to 州市场监管局


def test_a_departments_reviewer_lists_only_its_cases(sqlite_api: CaseApi) -> None:  # noqa: F811
    api, client = sqlite_api, sqlite_api.client
    food = api.file_case(ITEM_FOOD)
    school = api.file_case(ITEM_EDUCATION)
    for case in (food, school):
        api.act(case["id"], "accept", "clerk1")
    assert client.get(f"/api/v1/cases/{school['id']}", headers=api.staff("reviewer1")).status_code == 403
    for user in ("reviewer1", "approver1"):
        listed = client.get("/api/v1/cases", headers=api.staff(user)).json()
        numbers = [row["number"] for row in listed["items"]]
        assert numbers == [food["number"]] and listed["total"] == 1, user
        asked = client.get("/api/v1/cases", params={"department": "州教育局"}, headers=api.staff(user)).json()
        assert asked["items"] == [] and asked["total"] == 0, user
    # The window's clerk serves every department.
    every = client.get("/api/v1/cases", headers=api.staff("clerk1")).json()
    assert {row["number"] for row in every["items"]} == {food["number"], school["number"]}

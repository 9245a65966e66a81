"""The catalogue: the 75 items of seed 003, search, versions that cases keep."""

from __future__ import annotations

import pytest

from tests.case_service.conftest import ITEM_FOOD, ITEM_HANDED_DOWN, ITEM_SUSPENDED, CaseApi

pytestmark = pytest.mark.integration


def test_seed_003_is_imported_with_its_remarks(case_api: CaseApi) -> None:
    client = case_api.client
    everything = client.get("/api/v1/items", params={"limit": 200}).json()
    assert everything["total"] == 75
    items = {item["code"]: item for item in everything["items"]}
    assert items[ITEM_SUSPENDED]["status"] == "suspended"
    assert items[ITEM_HANDED_DOWN]["status"] == "handed_down"
    assert sum(item["exercise_level_note"] == "×" for item in items.values()) == 35
    departments = {item["department"] for item in items.values()}
    assert len(departments) == 10
    detailed = [item for item in items.values() if item["materials"]]
    assert len(detailed) >= 5
    assert all(item["promised_limit_days"] <= item["legal_limit_days"] for item in items.values())


def test_search_by_name_code_department_and_category(sqlite_api: CaseApi) -> None:
    client = sqlite_api.client
    by_name = client.get("/api/v1/items", params={"q": "食品"}).json()
    assert {item["code"] for item in by_name["items"]} == {"513200-XK-SJ-0528", ITEM_FOOD}
    assert (
        client.get("/api/v1/items", params={"q": "0511"}).json()["items"][0]["name"]
        == "企业设立、变更、注销登记"
    )
    market = client.get("/api/v1/items", params={"department": "州市场监管局", "limit": 5}).json()
    assert market["total"] == 23 and len(market["items"]) == 5 and market["limit"] == 5
    citizens = client.get("/api/v1/items", params={"category": "公民类", "limit": 100}).json()
    assert citizens["total"] > 0 and {item["category"] for item in citizens["items"]} == {"公民类"}
    assert client.get("/api/v1/items", params={"q": "不存在的事项"}).json() == {
        "items": [],
        "total": 0,
        "limit": 20,
        "offset": 0,
    }
    one = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    assert one["materials"][0]["name"] == "食品经营许可申请书" and one["promised_limit_days"] == 10
    assert client.get("/api/v1/items/nope").status_code == 404


def test_a_change_makes_a_new_version_and_cases_keep_theirs(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    admin = api.staff("admin")
    old_case = api.file_case(ITEM_FOOD)
    current = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    proposal = {key: current[key] for key in ("name", "department", "kind", "category", "legal_basis")}
    proposal.update(
        implementing_unit=current["implementing_unit"],
        applicant_type=current["applicant_type"],
        materials=current["materials"],
        legal_limit_days=20,
        promised_limit_days=5,
        channels=["window", "kiosk"],
    )
    too_long = client.put(
        f"/api/v1/items/{ITEM_FOOD}", json={**proposal, "promised_limit_days": 25}, headers=admin
    )
    assert too_long.status_code == 422 and "承诺时限不能超过法定时限" in too_long.json()["error"]["message"]
    changed = client.put(f"/api/v1/items/{ITEM_FOOD}", json=proposal, headers=admin)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    same = client.put(f"/api/v1/items/{ITEM_FOOD}", json=proposal, headers=admin)
    assert same.json()["version"] == 2  # nothing changed, no new version
    new_case = api.file_case(ITEM_FOOD)
    assert (old_case["item_version"], new_case["item_version"]) == (1, 2)
    accepted = api.act(new_case["id"], "accept", "clerk1")
    assert accepted["decision_due_on"] == "2025-10-10"  # 5 working days now: 28, 29, 30 Sep, 9, 10 Oct
    assert api.act(old_case["id"], "accept", "clerk1")["decision_due_on"] == "2025-10-16"  # still 10
    suspended = client.post(f"/api/v1/items/{ITEM_FOOD}/status", json={"status": "suspended"}, headers=admin)
    assert suspended.json()["version"] == 3 and suspended.json()["status"] == "suspended"
    versions = client.get(f"/api/v1/items/{ITEM_FOOD}/versions").json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert (
        client.put(f"/api/v1/items/{ITEM_FOOD}", json=proposal, headers=api.staff("clerk1")).status_code
        == 403
    )


def test_an_item_shows_the_guides_fields_and_what_awaits_verification(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    admin = api.staff("admin")
    listed = client.get("/api/v1/items", params={"limit": 200}).json()["items"]
    guide = ("basic_code", "conditions", "fee_status", "handling_type", "online_depth", "unverified")
    assert all(all(name in item for name in guide) for item in listed)
    # A fee never comes out as "free" by default: unknown is 待部门核实 and named as such.
    assert all("fee_status" in item["unverified"] for item in listed if item["fee_status"] == "待部门核实")
    current = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    proposal = {key: value for key, value in current.items() if key not in ("code", "version", "source")}
    proposal.update(
        fee_status="收费",
        fees=[],
        handling_type="承诺件",
        conditions=["具有与经营的食品品种、数量相适应的经营场所"],
        unverified=[],
    )
    no_fees = client.put(f"/api/v1/items/{ITEM_FOOD}", json=proposal, headers=admin)
    assert no_fees.status_code == 422 and "收费项目不能为空" in no_fees.json()["error"]["message"]
    proposal["fees"] = [{"name": "工本费", "amount": "按面积计收", "basis": "依据待部门核实"}]
    wrong_kind = client.put(f"/api/v1/items/{ITEM_FOOD}", json={**proposal, "kind": "备案"}, headers=admin)
    assert wrong_kind.status_code == 422
    assert "类型字母 XK 与事项类型「备案」(BA)不符" in wrong_kind.json()["error"]["message"]
    saved = client.put(f"/api/v1/items/{ITEM_FOOD}", json=proposal, headers=admin)
    assert saved.status_code == 200, saved.text
    shown = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    assert shown["fees"] == proposal["fees"] and shown["unverified"] == []
    assert shown["conditions"] == ["具有与经营的食品品种、数量相适应的经营场所"]


def test_items_are_found_by_life_event(case_api: CaseApi) -> None:
    """生活事件: each event lists exactly the items whose life_events hold it (life_events.json), in
    SQLite and PostgreSQL alike, paged; an administrator's unknown event is refused in Chinese."""
    client, admin = case_api.client, case_api.staff("admin")
    everything = client.get("/api/v1/items", params={"limit": 200}).json()["items"]
    starting = client.get("/api/v1/items", params={"life_event": "开办企业", "limit": 200}).json()
    expected = sorted(item["code"] for item in everything if "开办企业" in item["life_events"])
    assert [item["code"] for item in starting["items"]] == expected and starting["total"] == len(expected)
    names = {item["name"] for item in starting["items"]}
    assert {
        "企业设立、变更、注销登记",
        "名称预先核准(包括企业、企业集团、个体工商户、农民专业合作社名称预先核准)",
    } <= names
    work = client.get("/api/v1/items", params={"life_event": "就业", "category": "公民类", "limit": 3}).json()
    assert work["total"] == 11 and len(work["items"]) == 3
    assert "教师资格认定" in {
        i["name"] for i in client.get("/api/v1/items", params={"life_event": "就业"}).json()["items"]
    }
    assert client.get("/api/v1/items", params={"life_event": "结婚"}).json()["total"] == 0
    current = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    assert current["life_events"] == ["经营许可"]
    body = {key: current[key] for key in ("name", "department", "kind", "category", "materials")}
    body |= {"legal_limit_days": 20, "promised_limit_days": 10, "life_events": ["开店"]}
    refused = client.put(f"/api/v1/items/{ITEM_FOOD}", json=body, headers=admin)
    assert refused.status_code == 422 and "生活事件应为" in refused.json()["error"]["message"]
    moved = client.put(
        f"/api/v1/items/{ITEM_FOOD}", json={**body, "life_events": ["开办企业"]}, headers=admin
    )
    assert moved.status_code == 200 and moved.json()["life_events"] == ["开办企业"]
    again = client.get("/api/v1/items", params={"life_event": "开办企业", "limit": 200}).json()
    assert again["total"] == len(expected) + 1


def test_everyday_words_find_the_items_of_their_life_event(case_api: CaseApi) -> None:
    """开店 is in no item's name: q=开店 (or kd, its initials, as the kiosk's keyboard sends them) lists
    exactly the items of 开办企业, whose words each item shows; in SQLite and PostgreSQL alike, paged, with
    the other filters; a query naming no word finds by name as before."""
    client = case_api.client
    everything = client.get("/api/v1/items", params={"limit": 200}).json()["items"]
    assert not any("开店" in item["name"] for item in everything)
    expected = sorted(item["code"] for item in everything if "开办企业" in item["life_events"])
    assert len(expected) == 15
    for query in ("开店", "我想开店", "kd", "kaidian"):
        found = client.get("/api/v1/items", params={"q": query, "limit": 200}).json()
        assert [item["code"] for item in found["items"]] == expected, query
        assert found["total"] == len(expected)
        assert all("开店" in item["life_event_words"] for item in found["items"])
    page = client.get("/api/v1/items", params={"q": "开店", "limit": 4, "offset": 12}).json()
    assert [item["code"] for item in page["items"]] == expected[12:] and page["total"] == 15
    mixed = client.get("/api/v1/items", params={"q": "开店", "department": "州司法局"}).json()
    assert {item["department"] for item in mixed["items"]} == {"州司法局"} and mixed["total"] == 3
    hiring = client.get("/api/v1/items", params={"q": "招工", "limit": 200}).json()
    assert {item["name"] for item in hiring["items"]} >= {"劳务派遣经营许可", "外国人来华工作许可"}
    assert hiring["total"] == 4
    food = client.get("/api/v1/items", params={"q": "食品", "limit": 200}).json()
    assert food["total"] == 2 and all("食品" in item["name"] for item in food["items"])
    one = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    assert one["life_event_words"] == ["开饭馆", "开药店", "卖食品", "办许可证"]
    # Read-only on an item: the words are its life events' own, whatever a PUT of the item says.
    body = {key: value for key, value in one.items() if key not in ("code", "version", "source")}
    put = client.put(
        f"/api/v1/items/{ITEM_FOOD}",
        json={**body, "life_event_words": ["开店"]},
        headers=case_api.staff("admin"),
    )
    assert put.status_code == 200 and put.json()["life_event_words"] == one["life_event_words"]
    shops = client.get("/api/v1/items", params={"q": "开店", "limit": 200}).json()["items"]
    assert ITEM_FOOD not in {item["code"] for item in shops}

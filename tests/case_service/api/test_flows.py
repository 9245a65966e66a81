"""Flows by kind, end to end through the API: 备案 and 即办件 registered on the spot, 审核转报 forwarded to
the higher authority and released on its result, 公共服务 handled in one stage; acceptance refused while a
required material is missing, and the 容缺 materials owed named on the notice with their deadline."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest

from tests.case_service.conftest import ID_B, ITEM_COMPANY, ITEM_FOOD, CaseApi
from tests.fixtures.materials import PDF

pytestmark = pytest.mark.integration

ITEM_FILING = "513200-BA-SJ-0901"  # 备案
ITEM_FORWARDED = "513200-SZ-SJ-0902"  # 审核转报 to 四川省司法厅 (the demo reviewers are 州市场监管局's)
ITEM_PUBLIC = "513200-GG-SJ-0903"  # 公共服务, no certificate
ITEM_ON_THE_SPOT = "513200-XK-SJ-0510"  # 即办件 in the bundled catalogue (名称预先核准)
RESULT = "上级机关办理结果"
MATERIALS = [
    {"name": "申请书", "required": True},
    {"name": "场所证明", "required": True, "tolerated": True},  # 容缺
    {"name": "授权委托书", "required": True, "condition": "委托他人办理的"},
]


def put_item(api: CaseApi, code: str, kind: str, department: str, **more: Any) -> dict[str, Any]:
    body = {
        "name": f"{kind}测试事项",
        "department": department,
        "kind": kind,
        "category": "经营类",
        "materials": MATERIALS,
        "legal_limit_days": 20,
        "promised_limit_days": 10,
        **more,
    }
    answer = api.client.put(f"/api/v1/items/{code}", json=body, headers=api.staff("admin"))
    assert answer.status_code == 200, answer.text
    item: dict[str, Any] = answer.json()
    return item


def upload(api: CaseApi, case_id: int, name: str, data: bytes = PDF) -> Any:
    return api.client.post(
        f"/api/v1/cases/{case_id}/materials",
        data={"name": name},
        files={"file": ("scan.pdf", data, "application/pdf")},
        headers={**api.staff("clerk1"), **api.key()},
    )


def document_text(api: CaseApi, case_id: int, kind: str, expect: int = 200) -> str:
    answer = api.client.get(f"/api/v1/cases/{case_id}/documents/{kind}.pdf", headers=api.staff("clerk1"))
    assert answer.status_code == expect, answer.text
    if expect != 200:
        return str(answer.json()["error"]["message"])
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.content, capture_output=True, check=True
    ).stdout.decode()
    return "".join(text.split())


def test_a_filing_is_registered_on_the_spot_with_its_receipt(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    put_item(api, ITEM_FILING, "备案", "州市场监管局")
    case = api.file_case(ITEM_FILING, complete=False)
    assert case["flow"] == "registration"
    assert case["allowed_actions"] == ["register", "not_accept", "request_supplement", "withdraw"]
    nothing = api.act(case["id"], "register", "clerk1", expect=409)["error"]
    assert "申请书" in nothing["message"] and nothing["details"]["missing"] == ["申请书"]
    assert api.act(case["id"], "accept", "clerk1", expect=409)["error"]["code"] == "illegal_transition"
    # the condition marked as applying makes the conditional material required
    assert upload(api, case["id"], "申请书").status_code == 201
    marked = api.act(case["id"], "register", "clerk1", expect=409, conditions_met=["授权委托书"])
    assert marked["error"]["details"]["missing"] == ["授权委托书"]

    registered = api.act(case["id"], "register", "clerk1")  # 场所证明 tolerated: owed
    assert registered["state"] == "registered" and registered["allowed_actions"] == []
    assert registered["deadline"] is None
    assert registered["accepted_on"] == registered["decided_on"] == "2025-09-26"
    assert registered["decision_due_on"] is None and registered["stage_due_on"] is None  # no clock
    owed = registered["owed_materials"]
    assert owed == {"materials": ["场所证明"], "due_on": "2025-10-10", "estimated": False}
    text = document_text(api, case["id"], "registration")
    assert "备案回执" in text and case["number"] in text and "予以备案" in text
    assert "场所证明" in text and "2025年10月10日前补交" in text
    assert "has not been accepted" in document_text(api, case["id"], "acceptance", expect=409)
    history = api.client.get(f"/api/v1/cases/{case['id']}/history", headers=api.staff("manager1")).json()
    steps = [entry for entry in history if entry["action"].startswith("case.")]
    assert steps[-1]["action"] == "case.register" and steps[-1]["after"]["state"] == "registered"


def test_a_bundled_on_the_spot_item_issues_its_result_at_once(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_ON_THE_SPOT)
    assert case["flow"] == "registration" and "register" in case["allowed_actions"]
    api.act(case["id"], "start_review", "reviewer1", expect=409)
    assert api.act(case["id"], "register", "clerk1")["state"] == "registered"
    text = document_text(api, case["id"], "registration")
    assert "办结回执" in text and "当场办结" in text and "备案回执" not in text


def test_a_forwarded_case_waits_for_the_higher_authority_on_its_own_clock(case_api: CaseApi) -> None:
    api, clock, client = case_api, case_api.clock, case_api.client
    put_item(
        api,
        ITEM_FORWARDED,
        "审核转报",
        "州市场监管局",
        higher_authority="四川省司法厅",
        stage_budgets={"higher_authority": 10},
    )
    case = api.file_case(ITEM_FORWARDED)
    assert case["flow"] == "forwarding"
    api.act(case["id"], "accept", "clerk1")
    in_review = api.act(case["id"], "start_review", "reviewer1")  # 初审
    assert in_review["allowed_actions"] == ["send_back", "extend", "forward", "withdraw", "suspend"]
    api.act(case["id"], "approve", "approver1", expect=409)  # the hall does not decide
    assert "初审意见" in api.act(case["id"], "forward", "reviewer1", expect=422)["error"]["message"]
    forwarded = api.act(case["id"], "forward", "reviewer1", reason="初审通过,同意上报")
    assert forwarded["state"] == "forwarded" and forwarded["stage"] == "higher_authority"
    # 10 working days from Fri 26 Sep 2025: 28 (Sun, worked), 29, 30 Sep, 9, 10, 11 (Sat, worked), 13-16 Oct
    assert forwarded["stage_due_on"] == "2025-10-16"
    assert forwarded["forwarding"]["authority"] == "四川省司法厅"
    assert forwarded["allowed_actions"] == ["record_result"]

    # 电子监察: late answers from the higher authority show up like any late stage
    manager = api.staff("manager1")
    clock.today = dt.date(2025, 10, 20)
    view = client.get("/api/v1/supervision", headers=manager).json()
    late = [row for row in view["cases"] if row["number"] == case["number"]]
    assert late and (late[0]["stage"], late[0]["level"]) == ("higher_authority", "overdue")

    missing = api.act(case["id"], "record_result", "clerk1", expect=409, outcome="approved")
    assert "upload the higher authority's result" in missing["error"]["message"]
    assert upload(api, case["id"], RESULT, PDF + b"% reply of the provincial department\n").status_code == 201
    received = api.act(case["id"], "record_result", "clerk1", outcome="approved", reason="准予执业")
    assert received["state"] == "result_received" and received["allowed_actions"] == ["release"]
    assert received["forwarding"]["result"]["outcome"] == "approved"
    assert received["decided_on"] == "2025-10-20"
    assert upload(api, case["id"], RESULT).status_code == 409  # no longer waiting for it
    api.act(case["id"], "release", "clerk1", channel="window")
    delivered = api.act(case["id"], "deliver", "clerk1", receipt={"recipient": "张三", "method": "window"})
    assert delivered["state"] == "delivered"
    assert "四川省司法厅办理结果" in document_text(api, case["id"], "service_receipt")
    assert "no licensing decision" in document_text(api, case["id"], "decision", expect=409)
    view = client.get("/api/v1/supervision", headers=manager).json()
    assert case["number"] not in [row["number"] for row in view["cases"]]


def test_only_the_staff_who_record_it_upload_the_higher_authoritys_result(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    put_item(api, ITEM_FORWARDED, "审核转报", "州市场监管局", higher_authority="四川省司法厅")
    case = api.file_case(ITEM_FORWARDED)
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.act(case["id"], "forward", "reviewer1", reason="初审通过")
    for stranger in (api.applicant(), api.device("controller-01", "controller"), api.staff("sealer1")):
        answer = api.client.post(
            f"/api/v1/cases/{case['id']}/materials",
            data={"name": RESULT},
            files={"file": ("forged.pdf", PDF, "application/pdf")},
            headers={**stranger, **api.key()},
        )
        assert answer.status_code == 403, answer.text
        assert "record_result needs the role" in answer.json()["error"]["message"]
    held = api.client.get(f"/api/v1/cases/{case['id']}/materials", headers=api.staff("clerk1")).json()
    assert RESULT not in [material["name"] for material in held]


def test_a_public_service_is_accepted_handled_and_released(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    put_item(api, ITEM_PUBLIC, "公共服务", "州市场监管局", unified_seal=False)
    case = api.file_case(ITEM_PUBLIC)
    assert case["flow"] == "public_service"
    accepted = api.act(case["id"], "accept", "clerk1")
    assert "handle" in accepted["allowed_actions"] and "start_review" not in accepted["allowed_actions"]
    handled = api.act(case["id"], "handle", "reviewer1", reason="已办结")
    assert (handled["state"], handled["stage"]) == ("handled", "release")
    assert handled["allowed_actions"] == ["release"]
    api.act(case["id"], "make_certificate", "reviewer1", expect=409)
    api.act(case["id"], "release", "clerk1", channel="window")
    delivered = api.act(case["id"], "deliver", "clerk1", receipt={"recipient": "张三", "method": "window"})
    assert delivered["state"] == "delivered"
    history = api.client.get(f"/api/v1/cases/{case['id']}/history", headers=api.staff("manager1")).json()
    assert [entry["action"] for entry in history if entry["action"].startswith("case.")] == [
        "case.submit",
        "case.accept",
        "case.handle",
        "case.release",
        "case.deliver",
    ]


def test_a_licence_is_not_accepted_without_its_materials_and_its_notice_names_what_is_owed(
    sqlite_api: CaseApi,
) -> None:
    api = sqlite_api
    empty = api.file_case(ITEM_COMPANY, complete=False)
    refused = api.act(empty["id"], "accept", "clerk1", expect=409)["error"]
    assert refused["message"].startswith("申请材料不齐全,不能受理") and "公司章程" in refused["message"]
    assert len(refused["details"]["missing"]) == 5
    still = api.client.get(f"/api/v1/cases/{empty['id']}", headers=api.staff("clerk1")).json()
    assert still["state"] == "submitted" and still["accepted_on"] is None

    food = api.file_case(ITEM_FOOD, id_number=ID_B, name="李四")  # 营业执照 tolerated, not handed in
    report = api.client.get(f"/api/v1/cases/{food['id']}/completeness", headers=api.staff("clerk1")).json()
    assert (report["missing"], report["owed"], report["acceptable"]) == ([], ["营业执照"], True)
    accepted = api.act(food["id"], "accept", "clerk1")
    assert accepted["owed_materials"]["materials"] == ["营业执照"]
    text = document_text(api, food["id"], "acceptance")
    assert "受理通知书" in text and "申请材料齐全" not in text
    assert "容缺材料" in text and "营业执照" in text and "2025年10月10日前补交" in text

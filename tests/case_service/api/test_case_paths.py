"""Walks cases through every legal path, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.case_service.conftest import ID_A, ID_B, ITEM_COMPANY, ITEM_FOOD, CaseApi, Clock

pytestmark = pytest.mark.integration


def test_window_to_locker_to_delivery_with_rating(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = api.file_case(ITEM_COMPANY)
    assert case["state"] == "submitted"
    assert case["stage"] == "acceptance" and case["stage_due_on"] == "2025-10-10"
    case_id = case["id"]

    accepted = api.act(case_id, "accept", "clerk1")
    # Promised 3 working days from Friday 26 Sep 2025: Sunday 28 (a swapped working day), 29, 30.
    assert (accepted["accepted_on"], accepted["decision_due_on"]) == ("2025-09-26", "2025-09-30")
    assert api.act(case_id, "start_review", "reviewer1")["state"] == "in_review"
    api.joint_opinion(case_id)  # 州税务局, the item's joint department: the decision waits for it
    approved = api.act(case_id, "approve", "approver1", reason="符合法定条件")
    assert approved["state"] == "approved" and approved["stage"] == "certificate"
    # The certificate stage's own budget: 1 working day from 26 Sep is the swapped Sunday 28 Sep.
    assert approved["stage_due_on"] == "2025-09-28"
    assert api.act(case_id, "make_certificate", "reviewer1")["state"] == "certificate_made"
    assert api.act(case_id, "seal", "sealer1")["state"] == "sealed"
    released = api.act(case_id, "release", "clerk1", channel="locker")
    assert released["state"] == "ready_for_release" and released["release_channel"] == "locker"

    controller = api.device("controller-01", "controller")
    looked_up = client.get(f"/api/v1/cases/by-number/{case['number']}", headers=controller)
    assert looked_up.status_code == 200 and looked_up.json()["applicant_name"] == "张*"
    pickup = client.post(
        f"/api/v1/cases/{case_id}/actions/ready_for_pickup",
        json={"receipt": {"locker": "L01-07", "code_sent": True}},
        headers=controller,
    )
    assert pickup.status_code == 200 and pickup.json()["state"] == "ready_for_pickup"
    status = client.get(f"/api/v1/cases/{case['number']}/status", headers=controller).json()
    assert (status["state"], status["state_label"], status["release_channel"]) == (
        "ready_for_pickup",
        "待取件(智能柜)",
        "locker",
    )
    delivered = client.post(
        f"/api/v1/cases/{case_id}/actions/deliver",
        json={"receipt": {"recipient": "张三", "method": "locker", "opened_by": "id_card"}},
        headers=controller,
    )
    assert delivered.status_code == 200
    body = delivered.json()
    assert body["state"] == "delivered" and body["allowed_actions"] == [] and body["deadline"] is None
    assert body["delivery_receipt"]["delivered"]["opened_by"] == "id_card"

    rating = client.post(
        f"/api/v1/cases/{case_id}/evaluations",
        json={"score": 5, "window": "W03", "clerk": "clerk1"},
        headers={**controller, **api.key()},
    )
    assert rating.status_code == 201 and rating.json()["score"] == 5

    history = client.get(f"/api/v1/cases/{case_id}/history", headers=api.staff("manager1")).json()
    assert [entry["action"] for entry in history] == [
        "case.submit",
        *["material.upload"] * 5,  # the five required materials, handed in before acceptance
        "case.accept",
        "case.joint_open",  # the item's joint department (州税务局) gets its task
        "case.start_review",
        "case.joint_opinion",
        "case.approve",
        "case.opinion",  # the approver's decision is the last level's opinion
        "case.make_certificate",
        "case.seal",
        "case.release",
        "case.ready_for_pickup",
        "case.deliver",
        "case.evaluate",
    ]
    assert history[6]["before"]["state"] == "submitted" and history[6]["after"]["state"] == "accepted"
    assert history[15]["actor"] == "device:controller-01"
    chain = client.get("/api/v1/audit/verify", headers=api.staff("admin")).json()
    assert chain["ok"] and chain["checked"] >= 10


def test_supplement_notice_lists_every_missing_material_then_not_accepted(case_api: CaseApi) -> None:
    api = case_api
    case = api.file_case(ITEM_COMPANY, complete=False)
    notice = api.act(
        case["id"],
        "request_supplement",
        "clerk1",
        defects=[{"material": "公司章程", "problem": "未经全体股东签署"}],
        conditions_met=["指定代表或者共同委托代理人授权委托书"],
    )
    assert notice["state"] == "supplement_required" and notice["stage_due_on"] is None
    lines = notice["supplement_notice"]["lines"]
    assert notice["supplement_notice"]["missing"] == [
        "公司登记(备案)申请书",
        "公司章程",
        "股东主体资格证明",
        "法定代表人、董事、监事和经理的任职文件",
        "住所使用证明",
        "指定代表或者共同委托代理人授权委托书",
    ]
    assert "公司章程:未经全体股东签署" in lines and len(lines) == 7
    assert api.act(case["id"], "supplement", "clerk1")["state"] == "submitted"
    refused = api.act(case["id"], "not_accept", "clerk1", reason="申请事项不属于本机关职权范围")
    assert refused["state"] == "not_accepted" and refused["not_accepted_reason"].startswith("申请事项")
    error = api.act(case["id"], "accept", "clerk1", expect=409)["error"]
    assert error["code"] == "illegal_transition" and "closed" in error["message"]


def test_not_accepting_needs_a_reason_and_denial_carries_reasons(case_api: CaseApi) -> None:
    api = case_api
    case = api.file_case(ITEM_FOOD)
    assert "reason" in api.act(case["id"], "not_accept", "clerk1", expect=422)["error"]["message"]
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.conclude_site_visit(case["id"])  # the item needs one before its decision
    api.act(case["id"], "deny", "approver1", expect=422)
    denied = api.act(case["id"], "deny", "approver1", reasons=["经营场所与有毒有害场所的距离不符合要求"])
    assert denied["state"] == "denied"
    assert "复议" in denied["next_step"] and "诉讼" in denied["next_step"]


def test_automatic_acceptance_when_no_supplement_notice_in_five_working_days(case_api: CaseApi) -> None:
    api, clock, client = case_api, case_api.clock, case_api.client
    lapsing = api.file_case(ITEM_FOOD)
    noticed = api.file_case(ITEM_FOOD, id_number=ID_B, name="李四", complete=False)  # no library to reuse
    api.act(noticed["id"], "request_supplement", "clerk1")
    api.act(noticed["id"], "supplement", "clerk1")
    clock.today = Clock().today.replace(month=10, day=10)  # the 5th working day: not yet
    assert (
        client.post("/api/v1/supervision/sweep", headers=api.staff("manager1")).json()["auto_accepted"] == 0
    )
    clock.today = clock.today.replace(day=11)  # Saturday 11 Oct 2025 is a working day: lapsed
    assert (
        client.post("/api/v1/supervision/sweep", headers=api.staff("manager1")).json()["auto_accepted"] == 1
    )
    case = client.get(f"/api/v1/cases/{lapsing['id']}", headers=api.staff("clerk1")).json()
    assert case["state"] == "accepted" and case["auto_accepted"]
    # Accepted from the day the materials were received (art. 32), so the decision clock ran from then.
    assert case["accepted_on"] == "2025-09-26" and case["decision_due_on"] == "2025-10-16"
    still = client.get(f"/api/v1/cases/{noticed['id']}", headers=api.staff("clerk1")).json()
    assert still["state"] == "submitted"
    history = client.get(f"/api/v1/cases/{lapsing['id']}/history", headers=api.staff("clerk1")).json()
    assert history[-1]["actor"] == "system:deadline-sweep" and history[-1]["action"] == "case.auto_accept"


def test_a_late_supplement_request_finds_the_case_already_accepted(case_api: CaseApi) -> None:
    api = case_api
    case = api.file_case(ITEM_FOOD)
    api.clock.today = Clock().today.replace(month=10, day=13)
    error = api.act(case["id"], "request_supplement", "clerk1", expect=409)["error"]
    assert "accepted" in error["message"] and "start_review" in error["details"]["allowed"]


def test_suspension_is_not_counted_and_one_extension_needs_an_approver(case_api: CaseApi) -> None:
    api, clock = case_api, case_api.clock
    case = api.file_case(ITEM_FOOD)
    accepted = api.act(case["id"], "accept", "clerk1")
    assert accepted["decision_due_on"] == "2025-10-16"
    api.act(case["id"], "start_review", "reviewer1")
    clock.today = Clock().today.replace(day=29)
    suspended = api.act(case["id"], "suspend", "reviewer1", suspension_kind="testing", reason="送检")
    assert suspended["state"] == "suspended" and suspended["stage_due_on"] is None
    assert suspended["allowed_actions"] == ["withdraw", "resume"]
    clock.today = Clock().today.replace(month=10, day=10)
    resumed = api.act(case["id"], "resume", "reviewer1")
    assert resumed["state"] == "in_review" and resumed["paused_days"] == 3
    assert resumed["decision_due_on"] == "2025-10-21" and resumed["stage_due_on"] == "2025-10-21"
    api.act(case["id"], "extend", "reviewer1", expect=403, reason="需要现场核查")
    api.act(case["id"], "extend", "approver1", expect=422)
    extended = api.act(case["id"], "extend", "approver1", reason="需要现场核查")
    assert extended["extended"] and extended["decision_due_on"] == "2025-11-04"
    assert extended["state"] == "in_review"
    again = api.act(case["id"], "extend", "approver1", expect=409, reason="再次延长")
    assert "already extended" in again["error"]["message"]


def test_withdrawal_by_the_applicant_with_a_kiosk_token(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    applicant = api.applicant()
    filed = client.post(
        "/api/v1/cases", json={"item_code": ITEM_FOOD, "channel": "kiosk"}, headers={**applicant, **api.key()}
    )
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["applicant_name"] == "张三" and body["applicant_id_number"] == ID_A[:3] + "*" * 11 + ID_A[-4:]
    withdrawn = client.post(f"/api/v1/cases/{body['id']}/actions/withdraw", json={}, headers=applicant)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"

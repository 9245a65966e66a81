"""The hall controller's release contact, and a locker result taken back to the window."""

from __future__ import annotations

from typing import Any

import pytest

from tests.case_service.conftest import ID_A, ITEM_COMPANY, CaseApi

pytestmark = pytest.mark.integration


def _sealed_case(api: CaseApi) -> dict[str, Any]:
    case = api.file_case(ITEM_COMPANY)
    for action, user in [
        ("accept", "clerk1"),
        ("start_review", "reviewer1"),
        ("approve", "approver1"),
        ("make_certificate", "reviewer1"),
        ("seal", "sealer1"),
    ]:
        if action == "approve":
            api.joint_opinion(case["id"])  # 州税务局's, which the decision waits for
        api.act(case["id"], action, user)
    return case


def _contact_reads(api: CaseApi, case_id: int) -> list[dict[str, Any]]:
    history = api.client.get(f"/api/v1/cases/{case_id}/history", headers=api.staff("manager1")).json()
    return [entry for entry in history if entry["action"] == "case.release_contact.read"]


def test_controller_gets_the_full_contact_of_a_locker_release_and_each_read_is_audited(
    case_api: CaseApi,
) -> None:
    api, client = case_api, case_api.client
    case = _sealed_case(api)
    case_id = case["id"]
    controller = api.device("controller-01", "controller")
    path = f"/api/v1/cases/{case_id}/release-contact"

    # Sealed, not yet released: no contact.
    early = client.get(path, headers=controller)
    assert early.status_code == 409 and early.json()["error"]["details"]["state"] == "sealed"

    api.act(case_id, "release", "clerk1", channel="locker")
    answer = client.get(path, headers=controller)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "case_id": str(case_id),
        "item_name": case["item_name"],
        "phone": "13812345678",
        "id_number": ID_A,
    }
    # By case number too, and still while the result waits in the locker.
    assert (
        client.get(f"/api/v1/cases/{case['number']}/release-contact", headers=controller).status_code == 200
    )
    pickup = client.post(
        f"/api/v1/cases/{case_id}/actions/ready_for_pickup",
        json={"receipt": {"locker": "L01-07"}},
        headers=controller,
    )
    assert pickup.status_code == 200
    assert client.get(path, headers=controller).json()["id_number"] == ID_A

    reads = _contact_reads(api, case_id)
    assert len(reads) == 3
    assert {entry["actor"] for entry in reads} == {"device:controller-01"}
    # The audit trail records the access, never the numbers themselves.
    assert ID_A not in str(reads) and "13812345678" not in str(reads)
    chain = client.get("/api/v1/audit/verify", headers=api.staff("admin")).json()
    assert chain["ok"]


def test_everyone_but_a_controller_is_refused(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = _sealed_case(api)
    api.act(case["id"], "release", "clerk1", channel="locker")
    path = f"/api/v1/cases/{case['id']}/release-contact"
    for headers in (
        api.staff("clerk1"),
        api.staff("manager1"),
        api.staff("admin"),
        api.device("kiosk-01", "kiosk"),
        api.applicant(),  # even the applicant's own kiosk token
    ):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403, answer.text
        assert ID_A not in answer.text
    assert client.get(path).status_code == 401
    assert _contact_reads(api, case["id"]) == []


def test_a_window_release_gives_no_contact(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = _sealed_case(api)
    api.act(case["id"], "release", "clerk1", channel="window")
    answer = client.get(
        f"/api/v1/cases/{case['id']}/release-contact", headers=api.device("controller-01", "controller")
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["details"] == {"state": "ready_for_release", "release_channel": "window"}
    assert _contact_reads(api, case["id"]) == []


def test_a_result_not_collected_goes_back_to_the_window(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = _sealed_case(api)
    case_id = case["id"]
    api.act(case_id, "release", "clerk1", channel="locker")
    controller = api.device("controller-01", "controller")
    # Only from a locker: a result still waiting for deposit cannot be returned.
    api.act(case_id, "return_to_window", "clerk1", expect=409)
    client.post(
        f"/api/v1/cases/{case_id}/actions/ready_for_pickup",
        json={"receipt": {"locker": "L01-07"}},
        headers=controller,
    )
    # Reviewers, approvers and kiosks may not take it out.
    api.act(case_id, "return_to_window", "reviewer1", expect=403)

    returned = client.post(
        f"/api/v1/cases/{case_id}/actions/return_to_window",
        json={"reason": "逾期未取"},
        headers=controller,
    )
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert (body["state"], body["release_channel"]) == ("ready_for_release", "window")
    assert body["delivery_receipt"]["returned"] == {"on": "2025-09-26", "reason": "逾期未取"}
    assert body["delivery_receipt"]["locker"] == {"locker": "L01-07"}
    assert "deliver" in body["allowed_actions"]
    # Back at the window it is no longer the controller's to release.
    contact = client.get(f"/api/v1/cases/{case_id}/release-contact", headers=controller)
    assert contact.status_code == 409
    delivered = api.act(case_id, "deliver", "clerk1", receipt={"recipient": "张三", "method": "window"})
    assert delivered["state"] == "delivered"
    history = client.get(f"/api/v1/cases/{case_id}/history", headers=api.staff("manager1")).json()
    entry = next(entry for entry in history if entry["action"] == "case.return_to_window")
    assert entry["actor"] == "device:controller-01"
    assert (entry["before"]["state"], entry["after"]["state"]) == ("ready_for_pickup", "ready_for_release")
    assert entry["after"]["reason"] == "逾期未取"


def test_a_clerk_can_return_it_too(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = _sealed_case(api)
    api.act(case["id"], "release", "clerk1", channel="locker")
    api.act(case["id"], "ready_for_pickup", "clerk1", receipt={"locker": "L02-01"})
    assert api.act(case["id"], "return_to_window", "clerk1")["state"] == "ready_for_release"


def test_the_status_poll_survives_a_dropped_database_connection(case_api: CaseApi) -> None:
    """The poll's own pool does not pre-ping; a connection killed under it is retried once."""
    api, client = case_api, case_api.client
    services = client.app.state.services  # type: ignore[attr-defined]
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite polls on the main engine; there is no server connection to drop")
    case = api.file_case(ITEM_COMPANY)
    path = f"/api/v1/cases/{case['id']}/status"
    headers = api.staff("clerk1")
    assert client.get(path, headers=headers).status_code == 200
    with services.engine.connect() as connection:
        killed = connection.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar_one()
    assert killed >= 1
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "submitted"

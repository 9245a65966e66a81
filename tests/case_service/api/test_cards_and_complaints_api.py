"""The HTTP contract of 电子监察 cards, 督办 and 投诉: the sweep issues the cards once, each read back with
its recipients; urging and answering by the right people only; an applicant files a complaint about their
own case from the kiosk, not about another's; staff read complaints in their scope."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.case_service.conftest import ID_B, ITEM_COMPANY, ITEM_FOOD, CaseApi

pytestmark = pytest.mark.integration


def test_the_sweep_issues_cards_once_and_urging_is_answered_by_the_head(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    late = api.file_case(ITEM_COMPANY)
    api.act(late["id"], "accept", "clerk1")
    api.act(late["id"], "start_review", "reviewer1")  # decision due 30 Sep 2025
    api.clock.today = dt.date(2025, 10, 9)
    manager = api.staff("manager1")
    first = client.post("/api/v1/supervision/sweep", headers=manager).json()
    assert first == {"auto_accepted": 0, "cards_issued": 2}
    assert client.post("/api/v1/supervision/sweep", headers=manager).json()["cards_issued"] == 0
    assert client.post("/api/v1/supervision/sweep", headers=api.staff("clerk1")).status_code == 403

    cards = client.get("/api/v1/supervision/cards", headers=manager).json()
    assert [(c["colour"], c["case_number"], c["stage"]) for c in cards] == [
        ("red", late["number"], "review"),
        ("yellow", late["number"], "review"),
    ]
    assert [r["addressee"] for r in cards[0]["recipients"]] == ["handler", "department_head", "supervisor"]
    assert cards[0]["recipients"][0]["person"] == "reviewer1"
    for user in ("clerk1", "reviewer1"):
        assert client.get("/api/v1/supervision/cards", headers=api.staff(user)).status_code == 403
    assert len(client.get("/api/v1/supervision/cards", headers=api.staff("approver1")).json()) == 2

    body = {"reply_by": "2025-10-14", "instruction": "请说明超期原因", "card_id": cards[0]["id"]}
    path = f"/api/v1/supervision/cases/{late['id']}/urgings"
    assert client.post(path, json=body, headers=api.staff("approver1")).status_code == 403
    sunday = client.post(path, json={**body, "reply_by": "2025-10-12"}, headers=manager)
    assert sunday.status_code == 422 and "工作日" in sunday.json()["error"]["message"]
    urged = client.post(path, json=body, headers=manager)
    assert urged.status_code == 201, urged.text
    urging = urged.json()
    assert (urging["department"], urging["status"], urging["issued_by"]) == (
        "州市场监管局",
        "open",
        "manager1",
    )

    answer = f"/api/v1/supervision/urgings/{urging['id']}/answer"
    assert client.post(answer, json={"answer": "x"}, headers=api.staff("reviewer1")).status_code == 403
    assert client.post(answer, json={"answer": "x"}, headers=manager).status_code == 403  # not the department
    done = client.post(answer, json={"answer": "已加快审查"}, headers=api.staff("approver1"))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["answered_by"]) == ("answered", "approver1")
    assert client.post(answer, json={"answer": "again"}, headers=api.staff("approver1")).status_code == 409
    listed = client.get("/api/v1/supervision/cards", headers=manager).json()
    assert listed[0]["urgings"][0]["answer"] == "已加快审查"


def test_an_applicant_complains_about_their_own_case_from_the_kiosk(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    mine = api.file_case(ITEM_FOOD, name="张三")
    other = api.file_case(ITEM_FOOD, name="李四", id_number=ID_B)
    applicant = api.applicant("张三")
    body = {"channel": "kiosk", "case_number": mine["number"], "summary": "补正材料说不清楚"}
    assert client.post("/api/v1/complaints", json=body, headers=applicant).status_code != 201  # no key
    filed = client.post("/api/v1/complaints", json=body, headers={**applicant, **api.key()})
    assert filed.status_code == 201, filed.text
    complaint = filed.json()
    assert (complaint["case_number"], complaint["department"], complaint["status"]) == (
        mine["number"],
        "州市场监管局",
        "open",
    )
    assert complaint["received_on"] == "2025-09-26" and complaint["reply_by"] == "2025-10-10"
    for refused, status in (
        ({**body, "case_number": other["number"]}, (403, 404)),
        ({**body, "channel": "window"}, (422,)),
        ({"channel": "online", "summary": "x", "department": "州教育局"}, (422,)),  # no case
    ):
        answer = client.post("/api/v1/complaints", json=refused, headers={**applicant, **api.key()})
        assert answer.status_code in status, answer.text

    clerk = api.staff("clerk1")
    listed = client.get("/api/v1/complaints", headers=clerk).json()
    assert [c["id"] for c in listed] == [complaint["id"]]
    assert client.get("/api/v1/complaints", headers=api.staff("reviewer1")).status_code == 403
    assert client.get("/api/v1/complaints", headers=applicant).status_code == 403
    assert len(client.get("/api/v1/complaints", headers=api.staff("approver1")).json()) == 1
    staff_body = {"channel": "window", "department": "州教育局", "complainant": "王五", "summary": "态度差"}
    registered = client.post("/api/v1/complaints", json=staff_body, headers={**clerk, **api.key()})
    assert registered.status_code == 201 and registered.json()["case_number"] is None
    assert len(client.get("/api/v1/complaints", headers=api.staff("approver1")).json()) == 1  # not theirs


def test_a_complaint_about_the_hall_goes_to_the_halls_office(sqlite_api: CaseApi) -> None:
    """About the hall itself (no case): a signed-in person names themself, the kiosk alone files it
    anonymously; the contact phone is encrypted at rest and masked when read; the hall's office (config)
    receives it; only the centre's staff read it, and the 效能考核 report counts it against no department."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from case_service.reports.assessment_data import department_figures
    from case_service.reports.periods import PeriodKind, period_of
    from case_service.storage.models import Complaint

    api, client = sqlite_api, sqlite_api.client
    office = api.settings.case.hall_office
    applicant, kiosk = api.applicant("张三"), api.device()
    signed_in = {"channel": "kiosk", "topic": "waiting", "contact_phone": "13912345678"}
    filed = client.post("/api/v1/complaints", json=signed_in, headers={**applicant, **api.key()})
    assert filed.status_code == 201, filed.text
    mine = filed.json()
    assert (mine["department"], mine["topic"], mine["case_number"], mine["contact_phone"]) == (
        office,
        "waiting",
        None,
        "139****5678",
    )
    assert mine["reply_by"] == "2025-10-10" and mine["status"] == "open"
    anonymous = {"channel": "kiosk", "topic": "broken_machine"}
    filed = client.post("/api/v1/complaints", json=anonymous, headers={**kiosk, **api.key()})
    assert filed.status_code == 201, filed.text
    assert filed.json()["contact_phone"] is None and filed.json()["summary"] == "设备损坏或无法使用"
    for refused, headers, status in (
        ({**anonymous, "topic": "noise"}, kiosk, 422),  # not one of the topics
        ({**anonymous, "contact_phone": "12345"}, kiosk, 422),  # not a mobile number
        ({"channel": "kiosk", "summary": "x", "case_number": "X"}, kiosk, 403),  # a kiosk: the hall only
        ({**anonymous, "channel": "window"}, kiosk, 403),  # a kiosk files from the kiosk
        ({"channel": "kiosk", "summary": "x", "contact_phone": "13912345678"}, applicant, 422),  # no topic
    ):
        answer = client.post("/api/v1/complaints", json=refused, headers={**headers, **api.key()})
        assert answer.status_code == status, (refused, answer.text)
    assert client.post("/api/v1/complaints", json=anonymous, headers=api.key()).status_code == 401

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        rows = list(session.scalars(select(Complaint).order_by(Complaint.id)))
    assert [(row.complainant, row.topic, row.department) for row in rows] == [
        ("张三", "waiting", office),
        ("匿名", "broken_machine", office),
    ]
    assert rows[0].contact_phone_enc and "13912345678" not in rows[0].contact_phone_enc
    assert "5678" not in rows[0].contact_phone_enc and rows[1].contact_phone_enc is None

    listed = client.get("/api/v1/complaints", headers=api.staff("manager1")).json()
    assert [c["topic"] for c in listed] == ["broken_machine", "waiting"]
    assert "13912345678" not in str(listed)
    for stranger in (applicant, kiosk, api.staff("reviewer1")):
        assert client.get("/api/v1/complaints", headers=stranger).status_code == 403
    assert client.get("/api/v1/complaints").status_code == 401
    assert client.get("/api/v1/complaints", headers=api.staff("approver1")).json() == []  # a department's

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        figures = department_figures(session, period_of(PeriodKind.MONTH, dt.date(2025, 9, 1)), None)
    assert office not in {row.department for row in figures}
    assert all(row.complaints == 0 for row in figures)


def test_the_halls_office_is_named_in_config() -> None:
    from pydantic import ValidationError

    from case_service.config import CaseServiceSettings

    assert CaseServiceSettings(hall_office=" 某某政务服务中心 ").hall_office == "某某政务服务中心"
    for bad in ("", "   ", "中心" * 40, "中心\n管理办"):
        with pytest.raises(ValidationError, match="hall_office"):
            CaseServiceSettings(hall_office=bad)

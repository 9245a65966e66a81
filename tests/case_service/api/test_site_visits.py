"""Site visits through the case service (cases.site_visits), beneath the browser journey: who may
schedule and record, the notice kept as issued, the decision held until a required visit is concluded."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.cases import review as case_review
from case_service.cases import site_visits
from case_service.domain.errors import ConflictError, ForbiddenError
from case_service.domain.review import Conclusion, Finding, Level
from case_service.domain.site_visit import Conclusion as VisitConclusion
from case_service.storage.models import AuditEntry, CaseDocument, CaseSiteVisit
from tests.case_service.conftest import CaseApi


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


PNG = _png()
ITEM = "513200-XK-SJ-0517"  # 计量标准器具核准: site_visit, the approver decides alone


def _decide(api: CaseApi, session: Session, case_id: int) -> None:
    case_review.sign(
        api.context(session, "approver1"),
        case_id,
        level=Level.APPROVE,
        findings=tuple(Finding(p, True, "") for p in _points(api)),
        conclusion=Conclusion.AGREE,
        text="准予许可",
    )


def _points(api: CaseApi) -> list[str]:
    item = api.client.get(f"/api/v1/items/{ITEM}", headers=api.staff("reviewer1")).json()
    return list(item["review_points"])


def test_the_decision_waits_for_the_visit_then_is_made(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM, name="计量所")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        with pytest.raises(ConflictError, match="尚未安排现场核查"):
            _decide(api, session, case["id"])
        session.rollback()
    api.conclude_site_visit(case["id"])
    with Session(engine) as session:
        _decide(api, session, case["id"])
        session.commit()
        visit = session.scalars(select(CaseSiteVisit).where(CaseSiteVisit.case_id == case["id"])).one()
        assert visit.conclusion == "pass" and visit.recorded_by == "reviewer1"
        notice = session.scalars(select(CaseDocument).where(CaseDocument.kind == site_visits.NOTICE)).one()
        assert notice.content["extra"]["visit"] == visit.id and notice.issued_on == api.clock.today
        actions = [
            e.action
            for e in session.scalars(select(AuditEntry).where(AuditEntry.subject_id == str(case["id"])))
        ]
        assert "case.site_visit_schedule" in actions and "case.site_visit_record" in actions
        assert actions[-1] in ("case.opinion", "case.approve")
    engine.dispose()
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("approver1")).json()["state"] == (
        "approved"
    )


def test_only_the_department_schedules_and_only_an_inspector_records(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM, name="计量所")
    api.act(case["id"], "accept", "clerk1")
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        for stranger in ("sealer1", "manager1"):
            with pytest.raises(ForbiddenError):
                site_visits.schedule(
                    api.context(session, stranger),
                    case["id"],
                    day=api.clock.today,
                    place="某地",
                    inspectors=["approver1", "reviewer1"],
                )
        with pytest.raises(ConflictError, match="不属于承办部门"):
            site_visits.schedule(
                api.context(session, "approver1"),
                case["id"],
                day=api.clock.today,
                place="某地",
                inspectors=["approver1", "clerk1"],
            )
        tomorrow = api.clock.today + dt.timedelta(days=3)
        visit = site_visits.schedule(
            api.context(session, "approver1"),
            case["id"],
            day=tomorrow,
            place="某地",
            inspectors=["approver1", "reviewer1"],
        )
        with pytest.raises(ConflictError, match="尚未记录结论"):
            site_visits.schedule(
                api.context(session, "approver1"),
                case["id"],
                day=tomorrow,
                place="某地",
                inspectors=["approver1", "reviewer1"],
            )
        with pytest.raises(ConflictError, match="日期未到"):
            site_visits.record(
                api.context(session, "reviewer1"),
                case["id"],
                visit.id,
                answers={},
                conclusion=VisitConclusion.COMPLIES,
                summary="",
            )
        with pytest.raises(ConflictError, match="检查人员"):
            site_visits.record(
                api.context(session, "admin"),
                case["id"],
                visit.id,
                answers={},
                conclusion=VisitConclusion.COMPLIES,
                summary="",
            )
        session.rollback()
    engine.dispose()


def test_site_visits_over_http_schedule_rectify_re_inspect_and_conclude(case_api: CaseApi) -> None:
    """The REST routes beside the page, on SQLite and PostgreSQL: who may use each, the one error shape,
    整改后复查 then a re-inspection, and the decision held until it concludes."""
    api = case_api
    case = api.file_case(ITEM, name="计量所")
    api.act(case["id"], "accept", "clerk1")
    visits = f"/api/v1/cases/{case['id']}/site-visits"
    today = api.clock.today.isoformat()
    body = {"visit_on": today, "place": "申请人经营场所", "inspectors": ["approver1", "reviewer1"]}

    def refused(answer: Any, status: int, code: str | None = None) -> dict[str, Any]:
        assert answer.status_code == status, answer.text
        error: dict[str, Any] = answer.json()["error"]
        assert error["message"] and (code is None or error["code"] == code), error
        return error

    # A stranger (no token) and another department's reviewer get nothing; nor does a sealer schedule.
    refused(api.client.get(visits), 401)
    refused(api.client.post(visits, json=body, headers=api.key()), 401)
    other = api.staff("taxreviewer1")  # 州税务局, not the item's 州市场监管局
    refused(api.client.get(visits, headers=other), 403)
    refused(api.client.post(visits, json=body, headers={**other, **api.key()}), 403)
    refused(api.client.post(visits, json=body, headers={**api.staff("sealer1"), **api.key()}), 403)
    listed = api.client.get(visits, headers=api.staff("approver1")).json()
    assert listed["required"] is True and listed["visits"] == []
    assert "尚未安排现场核查" in listed["blocking"]

    # Bad input in the staff's words; then scheduled, once per Idempotency-Key.
    one = {**body, "inspectors": ["approver1"]}
    refused(api.client.post(visits, json=one, headers={**api.staff("approver1"), **api.key()}), 422)
    key = api.key()
    first = api.client.post(visits, json=body, headers={**api.staff("approver1"), **key})
    assert first.status_code == 201, first.text
    again = api.client.post(visits, json=body, headers={**api.staff("approver1"), **key})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    visit = first.json()
    assert [i["username"] for i in visit["inspectors"]] == ["approver1", "reviewer1"]
    assert visit["conclusion"] is None and visit["check_points"]
    busy = api.client.post(visits, json=body, headers={**api.staff("approver1"), **api.key()})
    assert "尚未记录结论" in refused(busy, 409)["message"]

    # The inspector records: a point not met, a photo, 整改后复查; another department cannot record.
    points = visit["check_points"]
    findings = [
        {"point": p, "met": i != 0, "note": "设备未运行" if i == 0 else ""} for i, p in enumerate(points)
    ]
    photo = {"filename": "现场.png", "content_type": "image/png", "data": base64.b64encode(PNG).decode()}
    record = {"findings": findings, "conclusion": "rectify", "summary": "修复后复查", "photos": [photo]}
    at = f"{visits}/{visit['id']}/record"
    refused(api.client.post(at, json=record), 401)
    refused(api.client.post(at, json=record, headers=other), 403)
    refused(api.client.post(at, json=record, headers=api.staff("sealer1")), 403)
    no_summary = {**record, "summary": ""}
    assert (
        "整改要求"
        in refused(api.client.post(at, json=no_summary, headers=api.staff("reviewer1")), 422)["message"]
    )
    done = api.client.post(at, json=record, headers=api.staff("reviewer1"))
    assert done.status_code == 200, done.text
    assert done.json()["conclusion"] == "rectify" and done.json()["photos"][0]["filename"] == "现场.png"
    twice = api.client.post(at, json=record, headers=api.staff("reviewer1"))
    refused(twice, 409)
    assert "复查" in api.client.get(visits, headers=api.staff("approver1")).json()["blocking"]

    # The re-inspection, concluded 符合: nothing holds the decision, and no third visit.
    second = api.client.post(visits, json=body, headers={**api.staff("approver1"), **api.key()})
    assert second.status_code == 201, second.text
    passed = {"findings": [{"point": p, "met": True} for p in points], "conclusion": "pass"}
    at = f"{visits}/{second.json()['id']}/record"
    assert api.client.post(at, json=passed, headers=api.staff("approver1")).status_code == 200
    listed = api.client.get(visits, headers=api.staff("reviewer1")).json()
    assert [v["conclusion"] for v in listed["visits"]] == ["rectify", "pass"] and listed["blocking"] is None
    refused(api.client.post(visits, json=body, headers={**api.staff("approver1"), **api.key()}), 409)
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_id == str(case["id"]), AuditEntry.action.like("case.site_visit%"))
            .order_by(AuditEntry.seq)
        ).all()
        notices = session.scalars(
            select(CaseDocument).where(
                CaseDocument.case_id == case["id"], CaseDocument.kind == "site_visit_notice"
            )
        ).all()
    engine.dispose()
    assert actions == ["case.site_visit_schedule", "case.site_visit_record"] * 2 and len(notices) == 2

"""Site visits through the case service (cases.site_visits), beneath the browser journey: who may
schedule and record, the notice kept as issued, the decision held until a required visit is concluded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.cases import review as case_review
from case_service.cases import site_visits
from case_service.domain.errors import ConflictError, ForbiddenError
from case_service.domain.review import Conclusion, Finding, Level
from case_service.domain.site_visit import Conclusion as VisitConclusion
from case_service.storage.models import AuditEntry, CaseDocument, CaseSiteVisit
from tests.case_service.conftest import CaseApi

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

"""Levels of approval through the case service (cases.review, cases.opinions), beneath the browser
journey: a decision waits for the levels before it, each opinion is kept and audited, a send-back
closes the round."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.cases import review as case_review
from case_service.cases.context import Context
from case_service.domain.errors import ForbiddenError
from case_service.domain.review import Conclusion, Finding, Level
from case_service.storage.models import AuditEntry, CaseOpinion
from tests.case_service.conftest import CaseApi

ITEM_TWO_LEVELS = "513200-XK-SJ-0535"  # 药品经营许可: 承办 → 审批 (approval_levels 2)


def _findings(api: CaseApi, *, all_met: bool = True) -> tuple[Finding, ...]:
    item = api.client.get(f"/api/v1/items/{ITEM_TWO_LEVELS}", headers=api.staff("reviewer1")).json()
    points = item["review_points"]
    assert points
    return tuple(
        Finding(p, all_met or n > 0, "" if all_met or n > 0 else "未配备执业药师")
        for n, p in enumerate(points)
    )


def _context(api: CaseApi, session: Session, username: str) -> Context:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    principal = services.signer.read(api.staff(username)["Authorization"].removeprefix("Bearer "))
    return Context(session, services.calendars.get(session), services.cipher, api.clock.today, principal)


def test_the_decision_waits_for_the_levels_before_it(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_TWO_LEVELS, name="王药师")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    refused = api.act(case["id"], "approve", "approver1", expect=409, reason="同意")
    assert "承办意见尚未签署" in refused["error"]["message"]

    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        ctx = _context(api, session, "reviewer1")
        case_review.sign(
            ctx,
            case["id"],
            level=Level.UNDERTAKE,
            findings=_findings(api),
            conclusion=Conclusion.AGREE,
            text="材料齐全，现场核查合格，建议准予许可",
        )
        session.commit()
    held = api.act(case["id"], "approve", "approver1", expect=409, reason="同意")["error"]
    assert held["details"] == {"site_visit": "pending"} and "尚未安排现场核查" in held["message"]
    api.conclude_site_visit(case["id"])  # the item needs one: the decision waits for its conclusion
    approved = api.act(case["id"], "approve", "approver1", reason="同意承办意见，准予许可")
    assert approved["state"] == "approved"
    with Session(engine) as session:
        rows = list(session.scalars(select(CaseOpinion).where(CaseOpinion.case_id == case["id"])))
        assert [(r.level, r.signer, r.conclusion) for r in rows] == [
            ("undertake", "reviewer1", "agree"),
            ("approve", "approver1", "agree"),
        ]
        assert rows[1].text == "同意承办意见，准予许可"
        entries = [
            e.after
            for e in session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "case.opinion", AuditEntry.subject_id == str(case["id"])
                )
            )
        ]
        assert [(e["level"], e["signer"]) for e in entries if e] == [
            ("undertake", "reviewer1"),
            ("approve", "approver1"),
        ]
    engine.dispose()


def test_a_send_back_ends_the_round_and_the_window_sends_it_again(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_TWO_LEVELS, name="李药师")
    api.act(case["id"], "accept", "clerk1")
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        ctx = _context(api, session, "reviewer1")
        case_review.sign(
            ctx,
            case["id"],
            level=Level.UNDERTAKE,
            findings=_findings(api),
            conclusion=Conclusion.AGREE,
            text="建议准予许可",
        )
        session.commit()
    assert api.act(case["id"], "send_back", "approver1", expect=422)["error"]["code"] == "invalid_input"
    back = api.act(case["id"], "send_back", "approver1", reason="营业执照复印件与原件不符，请窗口核实")
    assert back["state"] == "returned"
    api.act(case["id"], "send_back", "reviewer1", expect=409, reason="again")
    assert api.act(case["id"], "resubmit", "clerk1")["state"] == "accepted"
    api.act(case["id"], "start_review", "reviewer1")
    # A new round: the 承办 opinion of the first round no longer counts.
    assert (
        "承办意见尚未签署"
        in api.act(case["id"], "approve", "approver1", expect=409, reason="同意")["error"]["message"]
    )
    with Session(engine) as session:
        ctx = _context(api, session, "approver1")
        with pytest.raises(ForbiddenError):  # the approver may not sign the reviewer's level
            case_review.sign(
                ctx,
                case["id"],
                level=Level.UNDERTAKE,
                findings=_findings(api),
                conclusion=Conclusion.AGREE,
                text="x",
            )
        session.rollback()
        rows = list(session.scalars(select(CaseOpinion).where(CaseOpinion.case_id == case["id"])))
        assert [(r.kind, r.round) for r in rows] == [("opinion", 1), ("send_back", 1)]
        assert rows[1].text == "营业执照复印件与原件不符，请窗口核实" and rows[1].signer == "approver1"
    engine.dispose()


def test_one_level_items_decide_as_before(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(name="赵一级")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    held = api.act(case["id"], "approve", "approver1", expect=409, reason="符合法定条件")["error"]
    assert held["details"] == {"waiting": ["州税务局"]} and "joint departments" in held["message"]
    api.joint_opinion(case["id"], user="reviewer1", expect=404)  # not the joint department's task
    api.joint_opinion(case["id"])
    assert api.act(case["id"], "approve", "approver1", reason="符合法定条件")["state"] == "approved"

"""The site visit's rules (domain.site_visit): who and when, what a record needs, what holds a decision."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain import site_visit as sv
from case_service.domain.errors import ConflictError, InvalidInputError

TODAY = dt.date(2026, 12, 7)
POINTS = ("计量标准器溯源有效", "环境条件和人员")


def test_the_guide_says_whether_a_visit_is_needed_and_whether_that_is_confirmed() -> None:
    assert sv.requirement({"site_visit": True}) == sv.Requirement(required=True, unverified=False)
    assert sv.requirement({"site_visit": False, "unverified": ["site_visit"]}).unverified
    assert sv.requirement(None) == sv.Requirement(required=False, unverified=False)


def test_check_points_are_the_review_points_without_the_visits_own_conclusion() -> None:
    assert sv.check_points(["计量标准器溯源有效", "现场考评结论", " "]) == ("计量标准器溯源有效",)
    assert sv.check_points([]) == (sv.DEFAULT_CHECK_POINT,)


def test_a_plan_needs_a_day_not_past_a_place_and_two_distinct_inspectors() -> None:
    chosen = sv.plan(TODAY, " 西昌市航天大道1号 ", ["reviewer1", "approver1", "reviewer1"], today=TODAY)
    assert chosen == sv.Plan(TODAY, "西昌市航天大道1号", ("reviewer1", "approver1"))
    with pytest.raises(InvalidInputError, match="两名以上|2名以上"):
        sv.plan(TODAY, "某地", ["reviewer1", " reviewer1 "], today=TODAY)
    with pytest.raises(InvalidInputError, match="早于今天"):
        sv.plan(TODAY - dt.timedelta(days=1), "某地", ["a", "b"], today=TODAY)
    with pytest.raises(InvalidInputError, match="地点"):
        sv.plan(TODAY, "  ", ["a", "b"], today=TODAY)
    with pytest.raises(InvalidInputError, match="日期"):
        sv.plan(None, "某地", ["a", "b"], today=TODAY)


def test_another_visit_only_as_the_re_inspection_after_a_rectify() -> None:
    sv.may_schedule([])
    sv.may_schedule([sv.VisitState(TODAY, sv.Conclusion.RECTIFY)])
    with pytest.raises(ConflictError):
        sv.may_schedule([sv.VisitState(TODAY, None)])
    with pytest.raises(ConflictError, match="无需再安排"):
        sv.may_schedule([sv.VisitState(TODAY, sv.Conclusion.COMPLIES)])


def test_the_record_answers_every_point_and_its_conclusion_agrees() -> None:
    met = {p: (True, "") for p in POINTS}
    done = sv.outcome(POINTS, met, sv.Conclusion.COMPLIES, "")
    assert done.conclusion is sv.Conclusion.COMPLIES and all(f.met for f in done.findings)
    with pytest.raises(InvalidInputError, match="尚未填写: 环境条件和人员"):
        sv.outcome(POINTS, {POINTS[0]: (True, "")}, sv.Conclusion.COMPLIES, "")
    one_fails = {**met, POINTS[1]: (False, "")}
    with pytest.raises(InvalidInputError, match="须写明情况"):
        sv.outcome(POINTS, one_fails, sv.Conclusion.FAILS, "")
    one_fails = {**met, POINTS[1]: (False, "恒温设备未运行")}
    with pytest.raises(InvalidInputError, match="不能为“符合”"):
        sv.outcome(POINTS, one_fails, sv.Conclusion.COMPLIES, "")
    with pytest.raises(InvalidInputError, match="至少有一个核查点不符合"):
        sv.outcome(POINTS, met, sv.Conclusion.RECTIFY, "整改")
    with pytest.raises(InvalidInputError, match="整改要求"):
        sv.outcome(POINTS, one_fails, sv.Conclusion.RECTIFY, " ")
    with pytest.raises(InvalidInputError, match="核查结论"):
        sv.outcome(POINTS, one_fails, None, "")
    rectify = sv.outcome(POINTS, one_fails, sv.Conclusion.RECTIFY, "恒温设备修复后复查")
    assert [f.met for f in rectify.findings] == [True, False] and rectify.findings[1].note == "恒温设备未运行"


def test_only_a_named_inspector_records_once_on_or_after_the_day() -> None:
    visit = sv.VisitState(TODAY, None)
    sv.may_record(visit, ["a", "b"], "b", today=TODAY)
    with pytest.raises(ConflictError, match="检查人员"):
        sv.may_record(visit, ["a", "b"], "c", today=TODAY)
    with pytest.raises(ConflictError, match="日期未到"):
        sv.may_record(sv.VisitState(TODAY + dt.timedelta(days=1), None), ["a", "b"], "a", today=TODAY)
    with pytest.raises(ConflictError, match="已记录"):
        sv.may_record(sv.VisitState(TODAY, sv.Conclusion.FAILS), ["a", "b"], "a", today=TODAY)


def test_the_decision_waits_for_a_required_visit_and_for_the_re_inspection_after_a_rectify() -> None:
    needed, not_needed = sv.Requirement(True, False), sv.Requirement(False, False)
    assert sv.blocking(not_needed, []) is None
    assert "尚未安排" in (sv.blocking(needed, []) or "")
    assert "尚未记录结论" in (sv.blocking(needed, [sv.VisitState(TODAY, None)]) or "")
    rectify = sv.VisitState(TODAY, sv.Conclusion.RECTIFY)
    assert "复查" in (sv.blocking(needed, [rectify]) or "")
    assert sv.blocking(needed, [rectify, sv.VisitState(TODAY, sv.Conclusion.COMPLIES)]) is None
    assert sv.blocking(needed, [sv.VisitState(TODAY, sv.Conclusion.FAILS)]) is None  # a denial may follow

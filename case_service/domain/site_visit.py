"""Site visits (现场核查 / 现场踏勘), pure.

An item whose guide says `site_visit` needs one before its decision. The department schedules it: a day
(not in the past), a place, and at least two inspectors — 行政许可法 art. 34(3): where the substance of
the materials must be verified, the authority sends two or more of its staff. The applicant is told by a
现场核查通知书. An inspector records each check point (met or not, a note where not), the photos, and a
conclusion: 符合, 不符合, or 整改后复查 (rectify, then another visit). The decision waits while a required
visit is unscheduled, unrecorded, or its latest conclusion is "rectify".

The visit's days count inside the legal limit: art. 45 stops the clock only for hearing, bidding,
auction, testing, quarantine, inspection by appraisal (检验、检测、检疫、鉴定) and expert review; an
authority's own verification on site is not among them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from case_service.domain.errors import ConflictError, InvalidInputError

MIN_INSPECTORS = 2  # 行政许可法 第三十四条第三款: 指派两名以上工作人员进行核查
DEFAULT_CHECK_POINT = "现场情况与申请材料一致"


class Conclusion(StrEnum):
    COMPLIES = "pass"  # 符合
    FAILS = "fail"  # 不符合
    RECTIFY = "rectify"  # 整改后复查


CONCLUSION_LABELS: Mapping[Conclusion, str] = {
    Conclusion.COMPLIES: "符合",
    Conclusion.FAILS: "不符合",
    Conclusion.RECTIFY: "整改后复查",
}


@dataclass(frozen=True)
class Requirement:
    required: bool
    unverified: bool  # the department has not confirmed whether the item needs a visit (待部门核实)


@dataclass(frozen=True)
class Plan:
    day: dt.date
    place: str
    inspectors: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    point: str
    met: bool
    note: str


@dataclass(frozen=True)
class Outcome:
    findings: tuple[Finding, ...]
    conclusion: Conclusion
    summary: str


@dataclass(frozen=True)
class VisitState:
    """What the decision rule reads of a stored visit."""

    day: dt.date
    conclusion: Conclusion | None


def requirement(guide: Mapping[str, Any] | None) -> Requirement:
    guide = guide or {}
    return Requirement(
        required=bool(guide.get("site_visit", False)),
        unverified="site_visit" in (guide.get("unverified") or ()),
    )


def check_points(review_points: Sequence[str]) -> tuple[str, ...]:
    """What the inspectors check on site: the item's review points but the ones that are the visit's own
    conclusion (现场核查结论, …); one general point where the item names none."""
    points = tuple(p.strip() for p in review_points if p.strip() and "结论" not in p)
    return points or (DEFAULT_CHECK_POINT,)


def plan(day: dt.date | None, place: str, inspectors: Sequence[str], *, today: dt.date) -> Plan:
    """A visit as scheduled; refused with the reason in the staff's words."""
    if day is None:
        raise InvalidInputError("请填写现场核查日期")
    if day < today:
        raise InvalidInputError("现场核查日期不能早于今天")
    place = place.strip()
    if not place:
        raise InvalidInputError("请填写现场核查地点")
    chosen = tuple(dict.fromkeys(name.strip() for name in inspectors if name.strip()))
    if len(chosen) < MIN_INSPECTORS:
        raise InvalidInputError(
            f"现场核查须指派{MIN_INSPECTORS}名以上工作人员（行政许可法第三十四条第三款）",
            details={"inspectors": len(chosen)},
        )
    return Plan(day=day, place=place, inspectors=chosen)


def may_schedule(visits: Sequence[VisitState]) -> None:
    """The first visit, or a re-inspection after 整改后复查; nothing while one is open or concluded."""
    if not visits:
        return
    last = visits[-1].conclusion
    if last is None:
        raise ConflictError("已安排的现场核查尚未记录结论，不能再安排")
    if last is not Conclusion.RECTIFY:
        raise ConflictError(f"现场核查已有结论（{CONCLUSION_LABELS[last]}），无需再安排")


def outcome(
    points: Sequence[str],
    answers: Mapping[str, tuple[bool | None, str]],
    conclusion: Conclusion | None,
    summary: str,
) -> Outcome:
    """The inspectors' record: every check point answered (a note where not met) and a conclusion that
    agrees with it — 符合 only when every point is met; 不符合 or 整改后复查 name what is not."""
    missing = [p for p in points if answers.get(p, (None, ""))[0] is None]
    if missing:
        raise InvalidInputError(f"请逐项填写核查情况，尚未填写: {'、'.join(missing)}")
    findings = tuple(Finding(p, bool(answers[p][0]), answers[p][1].strip()) for p in points)
    unnoted = [f.point for f in findings if not f.met and not f.note]
    if unnoted:
        raise InvalidInputError(f"不符合的核查点须写明情况: {'、'.join(unnoted)}")
    if conclusion is None:
        raise InvalidInputError("请选择核查结论")
    failed = [f for f in findings if not f.met]
    if conclusion is Conclusion.COMPLIES and failed:
        raise InvalidInputError("有核查点不符合，结论不能为“符合”")
    if conclusion is not Conclusion.COMPLIES and not failed:
        raise InvalidInputError(f"结论为“{CONCLUSION_LABELS[conclusion]}”时，须至少有一个核查点不符合")
    summary = summary.strip()
    if conclusion is Conclusion.RECTIFY and not summary:
        raise InvalidInputError("整改后复查须写明整改要求")
    return Outcome(findings=findings, conclusion=conclusion, summary=summary)


def may_record(visit: VisitState, inspectors: Sequence[str], who: str, *, today: dt.date) -> None:
    """Only a named inspector records, once, and not before the visit's day."""
    if who not in inspectors:
        raise ConflictError("只有本次现场核查的检查人员可以记录核查结果")
    if visit.conclusion is not None:
        raise ConflictError("本次现场核查已记录结论")
    if today < visit.day:
        raise ConflictError("现场核查日期未到，不能记录核查结果")


@dataclass(frozen=True)
class Hold:
    """Why the decision waits for the visit, in the staff's words and in English."""

    zh: str
    en: str


def hold(required: Requirement, visits: Sequence[VisitState]) -> Hold | None:
    """What holds the decision back, or None."""
    if not required.required:
        return None
    if not visits:
        return Hold(
            "本事项须现场核查，尚未安排现场核查，不能作出决定",
            "a site visit is required and none is scheduled",
        )
    last = visits[-1].conclusion
    if last is None:
        return Hold("现场核查尚未记录结论，不能作出决定", "the site visit's conclusion is not recorded yet")
    if last is Conclusion.RECTIFY:
        return Hold(
            "现场核查结论为整改后复查，须复查后才能作出决定",
            "the site visit asked for rectification: the re-inspection comes first",
        )
    return None


def blocking(required: Requirement, visits: Sequence[VisitState]) -> str | None:
    """Why the decision cannot be made yet (in the staff's words), or None."""
    found = hold(required, visits)
    return found.zh if found else None

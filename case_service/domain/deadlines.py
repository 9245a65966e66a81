"""Per-stage due dates in working days, suspensions, extensions, warnings and overdue flags.

Numbers from the Administrative Licensing Law: art. 32 (5 days to notify missing materials, or the
application counts as accepted from the day it was received), art. 42 (decision within the limit,
+10 days with an approver's consent), art. 44 (certificate within 10 days of the decision), art. 45
(hearings, testing, expert review are not counted), art. 82 (days are working days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from case_service.domain.calendar import WorkingCalendar, WorkingDay
from case_service.domain.states import CaseState

ACCEPTANCE_DAYS = 5
CERTIFICATE_DAYS = 10
EXTENSION_DAYS = 10
WARNING_DAYS = 2
TOLERATED_DAYS = 5  # 容缺受理: tolerated materials are owed within this many working days of acceptance
HIGHER_AUTHORITY_DAYS = 20  # 审核转报: the higher authority's answer, unless the item's stage_budgets say
DEFAULT_BUDGETS: Mapping[str, int] = {"seal": 1, "release": 1}


class Stage(StrEnum):
    ACCEPTANCE = "acceptance"
    REVIEW = "review"
    CERTIFICATE = "certificate"
    SEAL = "seal"
    RELEASE = "release"
    HIGHER_AUTHORITY = "higher_authority"  # forwarded: the higher authority's clock


STAGE_LABELS: Mapping[str, str] = {
    Stage.ACCEPTANCE: "受理审查",
    Stage.REVIEW: "审查决定",
    Stage.CERTIFICATE: "制作证照",
    Stage.SEAL: "统一盖章",
    Stage.RELEASE: "出件",
    Stage.HIGHER_AUTHORITY: "上级机关办理",
}

STAGE_OF_STATE: Mapping[CaseState, Stage] = {
    CaseState.SUBMITTED: Stage.ACCEPTANCE,
    CaseState.ACCEPTED: Stage.REVIEW,
    CaseState.IN_REVIEW: Stage.REVIEW,
    CaseState.RETURNED: Stage.REVIEW,  # sent back to the window: the authority's clock runs on
    CaseState.APPROVED: Stage.CERTIFICATE,
    CaseState.CERTIFICATE_MADE: Stage.SEAL,
    CaseState.SEALED: Stage.RELEASE,
    CaseState.FORWARDED: Stage.HIGHER_AUTHORITY,
    CaseState.RESULT_RECEIVED: Stage.RELEASE,
    CaseState.HANDLED: Stage.RELEASE,
}


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class StageDue:
    stage: Stage
    due: dt.date
    estimated: bool


@dataclass(frozen=True)
class DeadlineStatus:
    level: Level
    working_days_left: int


def decision_due(calendar: WorkingCalendar, accepted_on: dt.date, promised_days: int) -> WorkingDay:
    return calendar.add_working_days(accepted_on, promised_days)


def stage_due(
    calendar: WorkingCalendar,
    state: CaseState,
    *,
    entered_on: dt.date,
    decision_due_on: dt.date | None,
    budgets: Mapping[str, int] | None = None,
) -> StageDue | None:
    """The due date of the stage a case enters; None while the clock does not run for the authority."""
    stage = STAGE_OF_STATE.get(state)
    if stage is None:
        return None
    if stage is Stage.REVIEW:
        if decision_due_on is None:
            raise ValueError("a case under review needs its decision due date")
        return StageDue(stage, decision_due_on, not calendar.knows(decision_due_on))
    if stage is Stage.ACCEPTANCE:
        days = ACCEPTANCE_DAYS
    elif stage is Stage.HIGHER_AUTHORITY:
        days = (budgets or {}).get(stage.value, HIGHER_AUTHORITY_DAYS)
    elif stage is Stage.CERTIFICATE:
        days = min((budgets or {}).get(stage.value, CERTIFICATE_DAYS), CERTIFICATE_DAYS)
    else:
        days = (budgets or {}).get(stage.value, DEFAULT_BUDGETS[stage.value])
    result = calendar.add_working_days(entered_on, days)
    return StageDue(stage, result.date, result.estimated)


def assess(
    calendar: WorkingCalendar, due: dt.date, today: dt.date, warning_days: int = WARNING_DAYS
) -> DeadlineStatus:
    """Overdue once the due day has passed; a warning when `warning_days` or fewer working days are left."""
    if today > due:
        return DeadlineStatus(Level.OVERDUE, -calendar.working_days_between(due, today))
    left = calendar.working_days_between(today, due)
    return DeadlineStatus(Level.WARNING if left <= warning_days else Level.OK, left)


def warning_horizon(calendar: WorkingCalendar, today: dt.date, warning_days: int = WARNING_DAYS) -> dt.date:
    """Cases due on or before this day are at risk (or overdue, if due before today)."""
    return calendar.add_working_days(today, warning_days).date


def paused_working_days(calendar: WorkingCalendar, suspended_on: dt.date, resumed_on: dt.date) -> int:
    """Working days a suspension took out of the clock: those in (suspended_on, resumed_on]."""
    return calendar.working_days_between(suspended_on, resumed_on)


def shift(calendar: WorkingCalendar, due: dt.date, paused_days: int) -> WorkingDay:
    return calendar.add_working_days(due, paused_days)


def extend(calendar: WorkingCalendar, due: dt.date) -> WorkingDay:
    return calendar.add_working_days(due, EXTENSION_DAYS)


def acceptance_lapsed(calendar: WorkingCalendar, submitted_on: dt.date, today: dt.date) -> bool:
    """Art. 32: no supplement notice within 5 working days means the application counts as accepted."""
    return today > calendar.add_working_days(submitted_on, ACCEPTANCE_DAYS).date


@dataclass(frozen=True)
class Recomputed:
    decision_due_on: dt.date | None
    legal_due_on: dt.date | None
    stage_due_on: dt.date | None
    estimated: bool


def recompute(
    calendar: WorkingCalendar,
    state: CaseState,
    *,
    accepted_on: dt.date | None,
    decided: bool,
    stage_entered_on: dt.date | None,
    decision_due_on: dt.date | None,
    legal_due_on: dt.date | None,
    promised_days: int,
    legal_days: int,
    paused_days: int,
    extended: bool,
    budgets: Mapping[str, int] | None = None,
) -> Recomputed:
    """A case's due dates counted again on `calendar` (after its holidays changed): the decision and legal
    limits from acceptance, plus the working days suspensions took out (as counted then) and the extension,
    while the decision is pending; the current stage's due date from the day it was entered. A suspended
    case keeps no stage due date (its clock stops)."""
    decision, legal = decision_due_on, legal_due_on
    estimated = False
    if accepted_on is not None and not decided:
        more = paused_days + (EXTENSION_DAYS if extended else 0)
        decided_by = calendar.add_working_days(accepted_on, promised_days + more)
        decision, estimated = decided_by.date, decided_by.estimated
        legal = calendar.add_working_days(accepted_on, legal_days + more).date
    stage_due_on = None
    if stage_entered_on is not None and state in STAGE_OF_STATE:
        due = stage_due(
            calendar, state, entered_on=stage_entered_on, decision_due_on=decision, budgets=budgets
        )
        if due is not None:
            stage_due_on, estimated = due.due, estimated or due.estimated
    if decision is not None and not decided:
        estimated = estimated or not calendar.knows(decision)
    return Recomputed(decision, legal, stage_due_on, estimated)

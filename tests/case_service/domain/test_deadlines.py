from __future__ import annotations

import datetime as dt

from case_service.domain import deadlines
from case_service.domain.calendar import china_calendar
from case_service.domain.deadlines import Level, Stage
from case_service.domain.states import CaseState

D = dt.date
CAL = china_calendar()


def test_acceptance_stage_has_five_working_days_across_national_day() -> None:
    due = deadlines.stage_due(CAL, CaseState.SUBMITTED, entered_on=D(2025, 9, 26), decision_due_on=None)
    assert due is not None and (due.stage, due.due) == (Stage.ACCEPTANCE, D(2025, 10, 10))
    assert not deadlines.acceptance_lapsed(CAL, D(2025, 9, 26), D(2025, 10, 10))
    assert deadlines.acceptance_lapsed(CAL, D(2025, 9, 26), D(2025, 10, 11))


def test_decision_due_suspension_and_extension() -> None:
    accepted = D(2025, 9, 26)
    due = deadlines.decision_due(CAL, accepted, 10).date
    # 28, 29, 30 Sep, 9, 10, 11 (Sat, worked), 13, 14, 15, 16 Oct.
    assert due == D(2025, 10, 16)
    paused = deadlines.paused_working_days(CAL, D(2025, 9, 29), D(2025, 10, 10))  # 30 Sep, 9, 10 Oct
    assert paused == 3
    shifted = deadlines.shift(CAL, due, paused).date
    assert shifted == D(2025, 10, 21)
    assert deadlines.extend(CAL, shifted).date == D(2025, 11, 4)


def test_certificate_stage_is_capped_by_the_law() -> None:
    due = deadlines.stage_due(
        CAL, CaseState.APPROVED, entered_on=D(2025, 9, 30), decision_due_on=None, budgets={"certificate": 30}
    )
    assert due is not None and due.due == CAL.add_working_days(D(2025, 9, 30), 10).date


def test_no_clock_while_suspended_or_closed() -> None:
    for state in (CaseState.SUSPENDED, CaseState.DELIVERED, CaseState.SUPPLEMENT_REQUIRED):
        assert deadlines.stage_due(CAL, state, entered_on=D(2025, 9, 30), decision_due_on=None) is None


def test_warning_two_working_days_before_and_overdue_after() -> None:
    due = D(2025, 10, 10)
    assert deadlines.assess(CAL, due, D(2025, 9, 26)).level is Level.OK
    assert deadlines.assess(CAL, due, D(2025, 9, 30)) == deadlines.DeadlineStatus(Level.WARNING, 2)
    assert deadlines.assess(CAL, due, D(2025, 10, 10)) == deadlines.DeadlineStatus(Level.WARNING, 0)
    assert deadlines.assess(CAL, due, D(2025, 10, 13)) == deadlines.DeadlineStatus(Level.OVERDUE, -2)
    assert deadlines.warning_horizon(CAL, D(2025, 9, 30)) == D(2025, 10, 10)

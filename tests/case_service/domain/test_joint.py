"""Joint approval's rules (domain.joint), pure."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain import joint
from case_service.domain.calendar import china_calendar
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from case_service.domain.review import Conclusion
from case_service.domain.states import Role

CAL = china_calendar()
ACCEPTED = dt.date(2025, 9, 26)  # a Friday before the National Day week


def test_each_joint_department_once_and_never_the_lead() -> None:
    named = [" 州文体旅游局", "州市场监管局", "州文体旅游局", "", "州商务经济合作局"]
    assert joint.departments("州市场监管局", named) == ("州文体旅游局", "州商务经济合作局")


def test_a_task_is_due_in_working_days_and_never_after_the_decision() -> None:
    # Ten working days from Fri 26 Sep 2025: Sunday 28 Sep and Saturday 11 Oct are working days, the
    # National Day holidays (1–8 Oct) are not.
    assert joint.due(CAL, ACCEPTED, dt.date(2025, 11, 28)) == dt.date(2025, 10, 16)
    assert joint.due(CAL, ACCEPTED, dt.date(2025, 10, 15)) == dt.date(2025, 10, 15)
    tasks = joint.open_tasks("州市场监管局", ["州文体旅游局"], CAL, ACCEPTED, dt.date(2025, 11, 28))
    assert tasks == (joint.Task("州文体旅游局", dt.date(2025, 10, 16)),)


def test_only_the_department_answers_once_with_its_opinion() -> None:
    task = joint.Task("州文体旅游局", dt.date(2025, 10, 20))

    def answer(on: joint.Task, department: str, role: Role, text: str) -> joint.Task:
        return joint.answer(
            on,
            department=department,
            roles={role},
            signer="culture1",
            conclusion=Conclusion.AGREE,
            text=text,
            today=dt.date(2025, 10, 9),
        )

    with pytest.raises(ForbiddenError):
        answer(task, "州市场监管局", Role.REVIEWER, "同意")
    with pytest.raises(ForbiddenError):
        answer(task, "州文体旅游局", Role.CLERK, "同意")
    with pytest.raises(InvalidInputError):
        answer(task, "州文体旅游局", Role.REVIEWER, " ")
    done = answer(task, "州文体旅游局", Role.REVIEWER, " 同意 ")
    assert (done.answered_on, done.text, done.signer) == (dt.date(2025, 10, 9), "同意", "culture1")
    with pytest.raises(ConflictError):
        answer(done, "州文体旅游局", Role.REVIEWER, "再次")


def test_the_lead_waits_for_every_department_and_a_late_one_holds_the_case_up() -> None:
    open_task = joint.Task("州文体旅游局", dt.date(2025, 10, 20))
    answered = joint.Task(
        "州商务经济合作局", dt.date(2025, 10, 20), dt.date(2025, 10, 10), Conclusion.AGREE, "同意"
    )
    assert joint.waiting([open_task, answered]) == ["州文体旅游局"]
    assert joint.holding_up([open_task, answered], dt.date(2025, 10, 20)) == []
    assert joint.holding_up([open_task, answered], dt.date(2025, 10, 21)) == [open_task]

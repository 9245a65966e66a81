"""Joint approval (联审联办, 并联审批), pure: a case of an item that names joint departments has a lead (the
item's department, which decides) and one task per joint department, each due inside the case's decision
limit (art. 42: the limit the item promises, at most the law's 45 working days, +15 with approval). The
lead decides only when every joint department has given its opinion; a task past its due day holds the
case up and supervision names its department."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from case_service.domain.review import Conclusion
from case_service.domain.states import Role

TASK_DAYS = 10  # working days a joint department has for its opinion, from acceptance
JOINT_ROLES = frozenset({Role.REVIEWER, Role.APPROVER})
JOINT_CONCLUSIONS = {Conclusion.AGREE: "同意", Conclusion.DISAGREE: "不同意"}


@dataclass(frozen=True)
class Task:
    department: str
    due_on: dt.date
    answered_on: dt.date | None = None
    conclusion: Conclusion | None = None
    text: str = ""
    signer: str = ""


def departments(lead: str, joint: Sequence[str]) -> tuple[str, ...]:
    """The joint departments of a case led by `lead`: named once each, the lead not among them."""
    seen: list[str] = []
    for name in (each.strip() for each in joint):
        if name and name != lead and name not in seen:
            seen.append(name)
    return tuple(seen)


def due(
    calendar: WorkingCalendar, accepted_on: dt.date, decision_due_on: dt.date, days: int = TASK_DAYS
) -> dt.date:
    """A joint department's due day: `days` working days from acceptance, never after the decision's."""
    return min(calendar.add_working_days(accepted_on, days).date, decision_due_on)


def open_tasks(
    lead: str,
    joint: Sequence[str],
    calendar: WorkingCalendar,
    accepted_on: dt.date,
    decision_due_on: dt.date,
) -> tuple[Task, ...]:
    day = due(calendar, accepted_on, decision_due_on)
    return tuple(Task(department, day) for department in departments(lead, joint))


def answer(
    task: Task,
    *,
    department: str | None,
    roles: frozenset[Role] | set[Role],
    signer: str,
    conclusion: Conclusion,
    text: str,
    today: dt.date,
) -> Task:
    """A joint department's opinion on its task, by its own reviewer or approver, once."""
    if department != task.department:
        raise ForbiddenError(
            f"本联办任务由{task.department}提出意见", details={"department": task.department}
        )
    if not JOINT_ROLES & set(roles):
        raise ForbiddenError("联办意见须由部门审核人员或审批人员提出")
    if task.answered_on is not None:
        raise ConflictError(f"{task.department}已于{task.answered_on}提出意见")
    if not text.strip():
        raise InvalidInputError("请填写联办意见")
    return replace(task, answered_on=today, conclusion=conclusion, text=text.strip(), signer=signer)


def waiting(tasks: Sequence[Task]) -> list[str]:
    """The joint departments whose opinion the lead still waits for."""
    return [task.department for task in tasks if task.answered_on is None]


def holding_up(tasks: Sequence[Task], today: dt.date) -> list[Task]:
    """Tasks past their due day without an opinion: their departments hold the case up."""
    return [task for task in tasks if task.answered_on is None and task.due_on < today]

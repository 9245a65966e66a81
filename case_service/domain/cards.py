"""电子监察 with teeth: yellow and red cards, who receives them, and 督办 (urging) with its reply deadline.

Pure rules, no I/O; days are working days of the hall's one calendar (hall/calendar.py).

- A stage earns a yellow card (黄牌) once it passes its warning point (`deadlines.WARNING_DAYS` or fewer
  working days left before the stage's due date) and a red card (红牌) once it is overdue. One card of
  each colour per stage and due date: a due date moved by a suspension or an extension is a new stage
  clock and may earn its own cards.
- A yellow card goes to whoever handles the stage (the window clerk for acceptance and release, the
  department's reviewer for review and the certificate, the sealer for the seal) and, for their
  information, to the department head. A red card escalates: to the handler, the department head and
  the centre's supervisor (电子监察).
- 督办: a supervisor orders a department to act on a case by a reply date (a working day, at least one
  and at most `MAX_REPLY_DAYS` working days ahead); the department (its head) answers; an unanswered
  order past its date is overdue, an answer after it is late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import ForbiddenError, InvalidInputError

MAX_REPLY_DAYS = 10
DEFAULT_REPLY_DAYS = 3
MAX_TEXT = 500


class Colour(StrEnum):
    YELLOW = "yellow"
    RED = "red"


COLOUR_LABELS = {Colour.YELLOW: "黄牌", Colour.RED: "红牌"}


class Addressee(StrEnum):
    HANDLER = "handler"  # the clerk or reviewer (or sealer) working the stage
    DEPARTMENT_HEAD = "department_head"
    SUPERVISOR = "supervisor"  # the centre's 电子监察 (the hall manager)


ADDRESSEE_LABELS = {
    Addressee.HANDLER: "经办人",
    Addressee.DEPARTMENT_HEAD: "部门负责人",
    Addressee.SUPERVISOR: "监察人员",
}

# Who works each stage: the role whose people receive the stage's cards as its handler.
HANDLER_ROLE = {
    deadlines.Stage.ACCEPTANCE: "clerk",
    deadlines.Stage.REVIEW: "reviewer",
    deadlines.Stage.CERTIFICATE: "reviewer",
    deadlines.Stage.SEAL: "sealer",
    deadlines.Stage.RELEASE: "clerk",
    deadlines.Stage.HIGHER_AUTHORITY: "clerk",  # the window follows the forwarded case up
}
HANDLER_ROLE_LABELS = {"clerk": "综合窗口", "reviewer": "部门审核", "sealer": "统一印章"}


@dataclass(frozen=True)
class Recipient:
    addressee: Addressee
    role: str | None  # the handler's role (clerk, reviewer, sealer); None for heads and supervisors
    department: str | None  # the department head's (and a department reviewer's) department
    person: str | None  # a named person when the case says who handles it, else everyone in the role

    def label(self) -> str:
        if self.addressee is Addressee.HANDLER:
            who = self.person or HANDLER_ROLE_LABELS.get(self.role or "", self.role or "")
            return f"{ADDRESSEE_LABELS[self.addressee]} {who}"
        if self.addressee is Addressee.DEPARTMENT_HEAD:
            return f"{self.department} {ADDRESSEE_LABELS[self.addressee]}"
        return f"中心{ADDRESSEE_LABELS[self.addressee]}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "addressee": self.addressee.value,
            "role": self.role,
            "department": self.department,
            "person": self.person,
        }


def colour_due(
    calendar: WorkingCalendar,
    stage_due_on: dt.date,
    today: dt.date,
    warning_days: int = deadlines.WARNING_DAYS,
) -> Colour | None:
    """The card a stage due on `stage_due_on` has earned by `today`: red when overdue, yellow from its
    warning point, else none."""
    level = deadlines.assess(calendar, stage_due_on, today, warning_days).level
    if level is deadlines.Level.OVERDUE:
        return Colour.RED
    if level is deadlines.Level.WARNING:
        return Colour.YELLOW
    return None


def cards_earned(
    calendar: WorkingCalendar,
    stage_due_on: dt.date,
    today: dt.date,
    warning_days: int = deadlines.WARNING_DAYS,
) -> list[Colour]:
    """Every card the stage has earned so far, in order: a stage found overdue without a yellow card
    (the sweep did not run in its warning days) gets both, so the record says it passed its warning."""
    colour = colour_due(calendar, stage_due_on, today, warning_days)
    if colour is Colour.RED:
        return [Colour.YELLOW, Colour.RED]
    return [colour] if colour is not None else []


def recipients(colour: Colour, stage: str, department: str, handler: str | None) -> list[Recipient]:
    """Who receives a card: the handler always, with the department head; a red card the supervisor too.
    A stage with no known handler role (none of the law's stages) goes to the heads only."""
    role = HANDLER_ROLE.get(deadlines.Stage(stage)) if stage in set(deadlines.Stage) else None
    handler_department = department if role == "reviewer" else None
    result = []
    if role is not None:
        result.append(Recipient(Addressee.HANDLER, role, handler_department, handler))
    result.append(Recipient(Addressee.DEPARTMENT_HEAD, None, department, None))
    if colour is Colour.RED:
        result.append(Recipient(Addressee.SUPERVISOR, None, None, None))
    return result


def addressed_to(
    recipient: Mapping[str, object], username: str, roles: frozenset[str], department: str | None
) -> bool:
    """Whether a stored recipient names this member of staff: the named person, anyone in the handler's
    role (and department) when no one is named, a head of the department, a supervisor of the centre."""
    addressee = recipient.get("addressee")
    if addressee == Addressee.HANDLER:
        if recipient.get("person"):
            return recipient["person"] == username
        wanted = recipient.get("department")
        return recipient.get("role") in roles and (wanted is None or wanted == department)
    if addressee == Addressee.DEPARTMENT_HEAD:
        return department is not None and department == recipient.get("department") and is_head(roles)
    return department is None and is_supervisor(roles)


def is_head(roles: frozenset[str]) -> bool:
    """A department head: a manager or approver of a department."""
    return bool(roles & {"manager", "approver"})


def is_supervisor(roles: frozenset[str]) -> bool:
    """The centre's supervision: a manager or administrator (of no one department)."""
    return bool(roles & {"manager", "admin"})


# 督办 ----------------------------------------------------------------------------------------------


class UrgingStatus(StrEnum):
    OPEN = "open"  # waiting for the department's answer, still in time
    OVERDUE = "overdue"  # no answer and the reply date has passed
    ANSWERED = "answered"
    ANSWERED_LATE = "answered_late"


URGING_LABELS = {
    UrgingStatus.OPEN: "待答复",
    UrgingStatus.OVERDUE: "逾期未答复",
    UrgingStatus.ANSWERED: "已答复",
    UrgingStatus.ANSWERED_LATE: "逾期答复",
}


def default_reply_by(calendar: WorkingCalendar, today: dt.date) -> dt.date:
    return calendar.add_working_days(today, DEFAULT_REPLY_DAYS).date


def check_urging(
    calendar: WorkingCalendar,
    today: dt.date,
    *,
    reply_by: dt.date,
    instruction: str,
    urger_department: str | None,
    case_department: str,
) -> str:
    """The instruction to record, or the reason to refuse: the urger may urge this department (a
    supervisor of the centre any; a department head their own only), and the reply date is a working day
    at least one and at most MAX_REPLY_DAYS working days ahead. Instructions are trimmed and required."""
    if urger_department is not None and urger_department != case_department:
        raise ForbiddenError(f"督办 {case_department}: not your department (yours: {urger_department})")
    text = instruction.strip()
    if not text:
        raise InvalidInputError("督办要求不能为空 the instruction is required")
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"督办要求不超过 {MAX_TEXT} 字 the instruction is too long")
    if not calendar.is_working_day(reply_by):
        raise InvalidInputError(f"答复期限 {reply_by} 不是工作日 the reply date must be a working day")
    ahead = calendar.working_days_between(today, reply_by)
    if ahead < 1:
        raise InvalidInputError("答复期限须晚于今天 the reply date must be after today")
    if ahead > MAX_REPLY_DAYS:
        raise InvalidInputError(
            f"答复期限不超过 {MAX_REPLY_DAYS} 个工作日 the reply date is at most"
            f" {MAX_REPLY_DAYS} working days ahead"
        )
    return text


def check_reply(
    *, answer: str, replier_roles: frozenset[str], replier_department: str | None, urged_department: str
) -> str:
    """The answer to record: given by a head of the urged department (a manager or approver of it)."""
    if replier_department != urged_department or not is_head(replier_roles):
        raise ForbiddenError(f"只有 {urged_department} 的负责人可以答复 only that department's head answers")
    text = answer.strip()
    if not text:
        raise InvalidInputError("答复内容不能为空 the answer is required")
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"答复不超过 {MAX_TEXT} 字 the answer is too long")
    return text


def urging_status(reply_by: dt.date, replied_on: dt.date | None, today: dt.date) -> UrgingStatus:
    if replied_on is not None:
        return UrgingStatus.ANSWERED if replied_on <= reply_by else UrgingStatus.ANSWERED_LATE
    return UrgingStatus.OVERDUE if today > reply_by else UrgingStatus.OPEN

"""投诉: complaints received at the window, the kiosk or online, routed to a department, answered within
`REPLY_DAYS` working days of receipt (the hall's one calendar), and the complainant told. Pure rules.

Who does what: a window clerk or a manager registers a complaint (an applicant may file their own from
the kiosk or online); the head of the department it is routed to (a manager or approver of it) answers;
the window or a manager tells the complainant, once answered, and says how. Counted in the 效能考核
report by the day received.

A complaint about the hall itself (waiting, a clerk's manner, a broken machine, ...: `HallTopic`) is about
no case and no department: it goes to the hall's own managing office (the case service's `hall_office`,
ADR 0012), whose managers (a manager of no department) answer it within the same working days. It may be
filed at the kiosk without signing in; a contact phone is optional, and without one nobody can be told
(answered, it is closed). It is not counted against any department in the 效能考核 report.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError

REPLY_DAYS = 5
MAX_TEXT = 1000
MAX_NAME = 64


class Channel(StrEnum):
    WINDOW = "window"
    KIOSK = "kiosk"
    ONLINE = "online"


CHANNEL_LABELS = {Channel.WINDOW: "窗口", Channel.KIOSK: "自助终端", Channel.ONLINE: "网上"}


class ToldHow(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    IN_PERSON = "in_person"
    LETTER = "letter"


TOLD_LABELS = {ToldHow.PHONE: "电话", ToldHow.SMS: "短信", ToldHow.IN_PERSON: "当面", ToldHow.LETTER: "书面"}


class Status(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"  # not answered and past its reply date
    ANSWERED = "answered"  # answered, the complainant not told yet
    CLOSED = "closed"  # answered and told


STATUS_LABELS = {
    Status.OPEN: "待答复",
    Status.OVERDUE: "逾期未答复",
    Status.ANSWERED: "已答复待告知",
    Status.CLOSED: "已办结",
}
REGISTRARS = frozenset({"clerk", "manager", "admin"})
TELLERS = REGISTRARS


class HallTopic(StrEnum):
    """What a complaint about the hall itself is about (touched at the kiosk, not typed)."""

    WAITING = "waiting"
    RUDE_CLERK = "rude_clerk"
    BROKEN_MACHINE = "broken_machine"
    CLEANLINESS = "cleanliness"
    OPENING_HOURS = "opening_hours"
    OTHER = "other"


TOPIC_LABELS = {
    HallTopic.WAITING: "排队等候时间过长",
    HallTopic.RUDE_CLERK: "工作人员态度不好",
    HallTopic.BROKEN_MACHINE: "设备损坏或无法使用",
    HallTopic.CLEANLINESS: "环境卫生",
    HallTopic.OPENING_HOURS: "开放时间",
    HallTopic.OTHER: "其他",
}
ANONYMOUS = "匿名"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def check_hall_complaint(*, topic: str, detail: str, phone: str) -> tuple[HallTopic, str, str]:
    """The topic, the summary recorded (the topic's words, then any detail) and the contact phone ("" for
    none: then nobody can be told the answer)."""
    try:
        known = HallTopic(topic)
    except ValueError as err:
        raise InvalidInputError(f"投诉事项 {topic[:24]!r} 不在可选范围内 (unknown topic)") from err
    words = TOPIC_LABELS[known]
    if detail.strip():
        words = f"{words}:{_text(detail, '投诉内容', MAX_TEXT - len(words) - 1)}"
    contact = phone.strip()
    if contact and not MOBILE_RE.match(contact):
        raise InvalidInputError("联系电话须为 11 位手机号 (the contact phone must be a mobile number)")
    return known, words, contact


def _text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidInputError(f"{what}不能为空 ({what} is required)")
    if len(text) > limit:
        raise InvalidInputError(f"{what}不超过 {limit} 字 ({what} is too long)")
    return text


def check_registration(
    *, channel: str, complainant: str, summary: str, department: str
) -> tuple[Channel, str, str]:
    """The channel, complainant's name and summary to record; the department must be named."""
    try:
        known = Channel(channel)
    except ValueError as err:
        raise InvalidInputError(f"渠道 {channel[:16]!r} 须为窗口、自助终端或网上") from err
    if not department.strip():
        raise InvalidInputError("请选择被投诉部门 (the department is required)")
    return known, _text(complainant, "投诉人", MAX_NAME), _text(summary, "投诉内容", MAX_TEXT)


def reply_by(calendar: WorkingCalendar, received_on: dt.date) -> dt.date:
    return calendar.add_working_days(received_on, REPLY_DAYS).date


def check_answer(
    *,
    answer: str,
    roles: frozenset[str],
    department: str | None,
    routed_to: str,
    answered: bool,
    about_hall: bool = False,
) -> str:
    """A department's head answers its complaints; the hall's managers (a manager of no department)
    answer the complaints about the hall (routed to the hall's office)."""
    if about_hall:
        if department is not None or "manager" not in roles:
            raise ForbiddenError(f"对大厅的投诉由 {routed_to} 的管理人员答复 only the hall's managers answer")
    elif department != routed_to or not roles & {"manager", "approver"}:
        raise ForbiddenError(f"只有 {routed_to} 的负责人可以答复 only that department's head answers")
    if answered:
        raise ConflictError("该投诉已答复 already answered")
    return _text(answer, "答复", MAX_TEXT)


def check_telling(
    *, how: str, roles: frozenset[str], answered: bool, told: bool, reachable: bool = True
) -> ToldHow:
    if not roles & TELLERS:
        raise ForbiddenError("告知投诉人由窗口或大厅管理员办理 the window or a manager tells the complainant")
    if not reachable:
        raise ConflictError("匿名投诉未留联系电话,无法告知 anonymous: nobody to tell")
    if not answered:
        raise ConflictError("部门尚未答复,不能告知 not answered yet")
    if told:
        raise ConflictError("已告知投诉人 already told")
    try:
        return ToldHow(how)
    except ValueError as err:
        raise InvalidInputError(f"告知方式 {how[:16]!r} 须为电话、短信、当面或书面") from err


def status(
    reply_date: dt.date,
    answered_on: dt.date | None,
    told_on: dt.date | None,
    today: dt.date,
    *,
    reachable: bool = True,
) -> Status:
    """`reachable`: someone can be told (False: an anonymous complaint about the hall, closed once
    answered)."""
    if told_on is not None or (answered_on is not None and not reachable):
        return Status.CLOSED
    if answered_on is not None:
        return Status.ANSWERED
    return Status.OVERDUE if today > reply_date else Status.OPEN


def answered_in_time(reply_date: dt.date, answered_on: dt.date | None) -> bool:
    return answered_on is not None and answered_on <= reply_date

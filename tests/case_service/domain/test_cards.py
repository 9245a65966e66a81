"""Yellow and red cards and 督办: the pure rules, in China's working days (National Day 2025 included)."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain import cards
from case_service.domain.calendar import china_calendar, weekend_only_calendar
from case_service.domain.cards import Addressee, Colour, UrgingStatus
from case_service.domain.errors import ForbiddenError, InvalidInputError

CAL = china_calendar()
D = dt.date


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2025, 11, 10), None),  # Monday: 4 working days to Friday's due date
        (D(2025, 11, 11), None),  # 3 left
        (D(2025, 11, 12), Colour.YELLOW),  # 2 left: the warning point
        (D(2025, 11, 14), Colour.YELLOW),  # the due day itself
        (D(2025, 11, 15), Colour.RED),  # Saturday after: overdue
        (D(2025, 11, 17), Colour.RED),
    ],
)
def test_a_stage_earns_yellow_at_its_warning_point_and_red_when_overdue(
    today: dt.date, expected: Colour | None
) -> None:
    assert cards.colour_due(CAL, D(2025, 11, 14), today) is expected


def test_the_warning_point_is_counted_in_working_days_over_national_day() -> None:
    # Due Thursday 9 October 2025, the first working day after the holiday (1–8 October): on 30 September
    # one working day is left, a yellow card; counted by weekends only, seven would be left and none.
    assert cards.colour_due(CAL, D(2025, 10, 9), D(2025, 9, 30)) is Colour.YELLOW
    assert cards.colour_due(weekend_only_calendar(), D(2025, 10, 9), D(2025, 9, 30)) is None
    # 28 September 2025 is a swapped working Sunday: on Friday 26 September, 29 and 30 Sep are left... and
    # the 28th: three working days before a due date of 30 September, so no card yet.
    assert cards.colour_due(CAL, D(2025, 9, 30), D(2025, 9, 26)) is None
    assert cards.colour_due(CAL, D(2025, 9, 30), D(2025, 9, 28)) is Colour.YELLOW


def test_an_overdue_stage_found_late_gets_both_cards_in_order() -> None:
    assert cards.cards_earned(CAL, D(2025, 11, 14), D(2025, 11, 20)) == [Colour.YELLOW, Colour.RED]
    assert cards.cards_earned(CAL, D(2025, 11, 14), D(2025, 11, 13)) == [Colour.YELLOW]
    assert cards.cards_earned(CAL, D(2025, 11, 14), D(2025, 11, 3)) == []


def test_a_yellow_card_goes_to_the_handler_and_the_head_and_a_red_one_to_the_supervisor_too() -> None:
    yellow = cards.recipients(Colour.YELLOW, "review", "州市场监管局", "reviewer1")
    assert [(r.addressee, r.role, r.department, r.person) for r in yellow] == [
        (Addressee.HANDLER, "reviewer", "州市场监管局", "reviewer1"),
        (Addressee.DEPARTMENT_HEAD, None, "州市场监管局", None),
    ]
    red = cards.recipients(Colour.RED, "acceptance", "州教育局", None)
    assert [(r.addressee, r.role, r.department) for r in red] == [
        (Addressee.HANDLER, "clerk", None),  # the window: no department
        (Addressee.DEPARTMENT_HEAD, None, "州教育局"),
        (Addressee.SUPERVISOR, None, None),
    ]
    assert [r.label() for r in red] == ["经办人 综合窗口", "州教育局 部门负责人", "中心监察人员"]
    assert cards.recipients(Colour.YELLOW, "seal", "州教育局", None)[0].role == "sealer"


def test_who_a_stored_card_reaches() -> None:
    named = {"addressee": "handler", "role": "reviewer", "department": "州市场监管局", "person": "reviewer1"}
    assert cards.addressed_to(named, "reviewer1", frozenset({"reviewer"}), "州市场监管局")
    assert not cards.addressed_to(named, "reviewer2", frozenset({"reviewer"}), "州市场监管局")
    role = {"addressee": "handler", "role": "reviewer", "department": "州市场监管局", "person": None}
    assert cards.addressed_to(role, "reviewer2", frozenset({"reviewer"}), "州市场监管局")
    assert not cards.addressed_to(role, "reviewer9", frozenset({"reviewer"}), "州教育局")
    head = {"addressee": "department_head", "role": None, "department": "州市场监管局", "person": None}
    assert cards.addressed_to(head, "approver1", frozenset({"approver"}), "州市场监管局")
    assert not cards.addressed_to(head, "reviewer1", frozenset({"reviewer"}), "州市场监管局")
    assert not cards.addressed_to(head, "manager1", frozenset({"manager"}), None)
    centre = {"addressee": "supervisor", "role": None, "department": None, "person": None}
    assert cards.addressed_to(centre, "manager1", frozenset({"manager"}), None)
    assert not cards.addressed_to(centre, "approver1", frozenset({"approver"}), "州市场监管局")
    assert not cards.addressed_to(centre, "clerk1", frozenset({"clerk"}), None)


MONDAY = D(2025, 11, 10)


def urge(reply_by: dt.date, *, today: dt.date = MONDAY, urger: str | None = None) -> str:
    return cards.check_urging(
        CAL,
        today,
        reply_by=reply_by,
        instruction="  请说明超期原因并于期限前办结 ",
        urger_department=urger,
        case_department="州市场监管局",
    )


def test_urging_needs_a_working_reply_day_ahead_within_ten_working_days() -> None:
    assert urge(D(2025, 11, 13)) == "请说明超期原因并于期限前办结"
    assert urge(D(2025, 11, 24)) == "请说明超期原因并于期限前办结"  # 10 working days ahead
    for refused, words in (
        (D(2025, 11, 25), "at most 10 working days"),
        (D(2025, 11, 15), "must be a working day"),  # Saturday
        (D(2025, 11, 10), "after today"),
        (D(2025, 11, 7), "after today"),
    ):
        with pytest.raises(InvalidInputError, match=words):
            urge(refused)
    with pytest.raises(InvalidInputError, match="working day"):  # National Day
        urge(D(2025, 10, 3), today=D(2025, 9, 30))
    assert urge(D(2025, 10, 9), today=D(2025, 9, 30))  # the first working day after it


def test_only_the_centre_or_the_departments_own_manager_urges_and_an_instruction_is_required() -> None:
    assert urge(D(2025, 11, 12), urger="州市场监管局")
    with pytest.raises(ForbiddenError):
        urge(D(2025, 11, 12), urger="州教育局")
    with pytest.raises(InvalidInputError, match="required"):
        cards.check_urging(
            CAL,
            D(2025, 11, 10),
            reply_by=D(2025, 11, 12),
            instruction="   ",
            urger_department=None,
            case_department="州教育局",
        )


def test_only_the_urged_departments_head_answers() -> None:
    head = cards.check_reply(
        answer=" 已安排加快审查 ",
        replier_roles=frozenset({"approver"}),
        replier_department="州市场监管局",
        urged_department="州市场监管局",
    )
    assert head == "已安排加快审查"
    for roles, department in (
        ({"reviewer"}, "州市场监管局"),  # not a head
        ({"approver"}, "州教育局"),  # another department's head
        ({"manager"}, None),  # the centre urges, it does not answer for the department
    ):
        with pytest.raises(ForbiddenError):
            cards.check_reply(
                answer="x",
                replier_roles=frozenset(roles),
                replier_department=department,
                urged_department="州市场监管局",
            )


def test_an_urgings_status() -> None:
    by = D(2025, 11, 13)
    assert cards.urging_status(by, None, D(2025, 11, 13)) is UrgingStatus.OPEN
    assert cards.urging_status(by, None, D(2025, 11, 14)) is UrgingStatus.OVERDUE
    assert cards.urging_status(by, D(2025, 11, 13), D(2025, 11, 20)) is UrgingStatus.ANSWERED
    assert cards.urging_status(by, D(2025, 11, 14), D(2025, 11, 20)) is UrgingStatus.ANSWERED_LATE

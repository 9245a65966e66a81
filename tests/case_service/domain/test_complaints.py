"""投诉 rules: registration, the reply date in working days, who answers and tells, the status."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain import complaints
from case_service.domain.calendar import china_calendar
from case_service.domain.complaints import Channel, Status, ToldHow
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError

CAL = china_calendar()
D = dt.date


def test_registration_is_checked() -> None:
    assert complaints.check_registration(
        channel="kiosk", complainant=" 王五 ", summary=" 等候太久 ", department="州教育局"
    ) == (Channel.KIOSK, "王五", "等候太久")
    for fields, words in (
        ({"channel": "fax"}, "渠道"),
        ({"department": " "}, "部门"),
        ({"complainant": ""}, "投诉人"),
        ({"summary": "x" * 1001}, "too long"),
    ):
        given = {
            "channel": "window",
            "complainant": "王五",
            "summary": "慢",
            "department": "州教育局",
        } | fields
        with pytest.raises(InvalidInputError, match=words):
            complaints.check_registration(**given)


def test_the_reply_is_due_five_working_days_after_receipt() -> None:
    assert complaints.reply_by(CAL, D(2025, 11, 10)) == D(2025, 11, 17)
    # Received Friday 26 September 2025: Sunday 28th (a swapped working day), 29th, 30th, then National
    # Day until 8 October: 9th and 10th.
    assert complaints.reply_by(CAL, D(2025, 9, 26)) == D(2025, 10, 10)


def test_only_the_routed_departments_head_answers_once() -> None:
    head = {"roles": frozenset({"approver"}), "department": "州教育局", "routed_to": "州教育局"}
    assert complaints.check_answer(answer=" 已整改 ", answered=False, **head) == "已整改"  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        complaints.check_answer(answer="x", answered=True, **head)  # type: ignore[arg-type]
    for roles, department in (({"reviewer"}, "州教育局"), ({"approver"}, "州民政局"), ({"manager"}, None)):
        with pytest.raises(ForbiddenError):
            complaints.check_answer(
                answer="x",
                roles=frozenset(roles),
                department=department,
                routed_to="州教育局",
                answered=False,
            )


def test_the_window_tells_the_complainant_once_answered() -> None:
    clerk = frozenset({"clerk"})
    assert complaints.check_telling(how="phone", roles=clerk, answered=True, told=False) is ToldHow.PHONE
    with pytest.raises(ConflictError, match="not answered"):
        complaints.check_telling(how="phone", roles=clerk, answered=False, told=False)
    with pytest.raises(ConflictError, match="already"):
        complaints.check_telling(how="phone", roles=clerk, answered=True, told=True)
    with pytest.raises(ForbiddenError):
        complaints.check_telling(how="phone", roles=frozenset({"reviewer"}), answered=True, told=False)
    with pytest.raises(InvalidInputError):
        complaints.check_telling(how="pigeon", roles=clerk, answered=True, told=False)


def test_a_complaints_status() -> None:
    by = D(2025, 11, 17)
    assert complaints.status(by, None, None, D(2025, 11, 17)) is Status.OPEN
    assert complaints.status(by, None, None, D(2025, 11, 18)) is Status.OVERDUE
    assert complaints.status(by, D(2025, 11, 18), None, D(2025, 11, 18)) is Status.ANSWERED
    assert complaints.status(by, D(2025, 11, 14), D(2025, 11, 14), D(2025, 11, 18)) is Status.CLOSED
    assert complaints.answered_in_time(by, D(2025, 11, 17)) and not complaints.answered_in_time(
        by, D(2025, 11, 18)
    )


def test_a_complaint_about_the_hall() -> None:
    """Its topic's words (and any detail), an optional mobile number; the hall's managers answer it, a
    department's head does not; anonymous, it is closed once answered and cannot be told."""
    from case_service.domain.complaints import HallTopic, check_answer, check_hall_complaint, check_telling

    assert check_hall_complaint(topic="waiting", detail="", phone="") == (
        HallTopic.WAITING,
        "排队等候时间过长",
        "",
    )
    assert check_hall_complaint(topic="other", detail=" 饮水机坏了 ", phone=" 13812345678")[1:] == (
        "其他:饮水机坏了",
        "13812345678",
    )
    for topic, phone in (("noise", ""), ("waiting", "1381234567"), ("waiting", "23812345678")):
        with pytest.raises(InvalidInputError):
            check_hall_complaint(topic=topic, detail="", phone=phone)
    office = "阿坝州政务服务中心"
    said = "已增开窗口"
    assert (
        check_answer(
            answer=said,
            roles=frozenset({"manager"}),
            department=None,
            routed_to=office,
            answered=False,
            about_hall=True,
        )
        == said
    )
    for roles, department in (({"manager"}, "州市场监管局"), ({"approver"}, None), ({"clerk"}, None)):
        with pytest.raises(ForbiddenError):
            check_answer(
                answer=said,
                roles=frozenset(roles),
                department=department,
                routed_to=office,
                answered=False,
                about_hall=True,
            )
    day = dt.date(2025, 10, 10)
    assert complaints.status(day, day, None, day, reachable=False) is Status.CLOSED
    assert complaints.status(day, None, None, day, reachable=False) is Status.OPEN
    with pytest.raises(ConflictError):
        check_telling(how="sms", roles=frozenset({"clerk"}), answered=True, told=False, reachable=False)

"""The transition rules (domain.transitions) on their own: every state × action, who may act, and the
working-day dates each step sets, on the real 2025 calendar (National Day, the worked Saturday 11 Oct)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from case_service.domain.calendar import china_calendar
from case_service.domain.completeness import CompletenessReport, Defect
from case_service.domain.errors import (
    ConflictError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
)
from case_service.domain.flows import Flow
from case_service.domain.states import Action, CaseState, Role, require_role
from case_service.domain.transitions import ActionInput, Progress, Terms, admit, lapsed, opened, step

S, A, D = CaseState, Action, dt.date
CAL = china_calendar()
TERMS = Terms(promised_limit_days=10, legal_limit_days=20, stage_budgets={"certificate": 3})
NOW = dt.datetime(2025, 10, 9, 15, 30, 12, 345678, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = D(2025, 10, 9)  # the first working day after National Day
INCOMPLETE = CompletenessReport(missing=("营业执照",))
COMPLETE = CompletenessReport(missing=())
VALID_ID = "11010519491231002x"  # lower-case x: stored upper-cased

# The law's chain, written out here rather than read from states.TRANSITIONS.
LEGAL: dict[tuple[CaseState, Action], CaseState] = {
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.SUBMITTED, A.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUIRED,
    (S.SUBMITTED, A.AUTO_ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUPPLEMENT_REQUIRED, A.SUPPLEMENT): S.SUBMITTED,
    (S.SUPPLEMENT_REQUIRED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.SUPPLEMENT_REQUIRED, A.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, A.START_REVIEW): S.IN_REVIEW,
    (S.ACCEPTED, A.EXTEND): S.ACCEPTED,
    (S.ACCEPTED, A.SUSPEND): S.SUSPENDED,
    (S.ACCEPTED, A.WITHDRAW): S.WITHDRAWN,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.IN_REVIEW, A.DENY): S.DENIED,
    (S.IN_REVIEW, A.EXTEND): S.IN_REVIEW,
    (S.IN_REVIEW, A.SUSPEND): S.SUSPENDED,
    (S.IN_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, A.MAKE_CERTIFICATE): S.CERTIFICATE_MADE,
    (S.CERTIFICATE_MADE, A.SEAL): S.SEALED,
    (S.SEALED, A.RELEASE): S.READY_FOR_RELEASE,
    (S.READY_FOR_RELEASE, A.READY_FOR_PICKUP): S.READY_FOR_PICKUP,
    (S.READY_FOR_RELEASE, A.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, A.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, A.RETURN_TO_WINDOW): S.READY_FOR_RELEASE,
    (S.SUSPENDED, A.RESUME): S.IN_REVIEW,  # the state the suspension interrupted (see `case_in`)
    (S.SUSPENDED, A.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, A.SEND_BACK): S.RETURNED,  # 退回: the review sends the case back to the window
    (S.IN_REVIEW, A.SEND_BACK): S.RETURNED,
    (S.RETURNED, A.RESUBMIT): S.ACCEPTED,
    (S.RETURNED, A.WITHDRAW): S.WITHDRAWN,
}

# The other flows (domain.flows), written out the same way.
_INTAKE: dict[tuple[CaseState, Action], CaseState] = {
    (S.SUBMITTED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.SUBMITTED, A.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUIRED,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUPPLEMENT_REQUIRED, A.SUPPLEMENT): S.SUBMITTED,
    (S.SUPPLEMENT_REQUIRED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.SUPPLEMENT_REQUIRED, A.WITHDRAW): S.WITHDRAWN,
}
_RELEASE: dict[tuple[CaseState, Action], CaseState] = {
    (S.READY_FOR_RELEASE, A.READY_FOR_PICKUP): S.READY_FOR_PICKUP,
    (S.READY_FOR_RELEASE, A.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, A.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, A.RETURN_TO_WINDOW): S.READY_FOR_RELEASE,
}
# 备案 and 即办件: registered on the spot; nothing to review, suspend or extend, no art. 32 auto-acceptance.
REGISTRATION = {**_INTAKE, (S.SUBMITTED, A.REGISTER): S.REGISTERED}
# 审核转报: acceptance and the preliminary review as for a licence, then forwarded and waiting.
FORWARDING = {
    **_INTAKE,
    **_RELEASE,
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, A.AUTO_ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.START_REVIEW): S.IN_REVIEW,
    (S.ACCEPTED, A.EXTEND): S.ACCEPTED,
    (S.ACCEPTED, A.SUSPEND): S.SUSPENDED,
    (S.ACCEPTED, A.WITHDRAW): S.WITHDRAWN,
    (S.IN_REVIEW, A.FORWARD): S.FORWARDED,
    (S.IN_REVIEW, A.EXTEND): S.IN_REVIEW,
    (S.IN_REVIEW, A.SUSPEND): S.SUSPENDED,
    (S.IN_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.SUSPENDED, A.RESUME): S.IN_REVIEW,
    (S.SUSPENDED, A.WITHDRAW): S.WITHDRAWN,
    (S.FORWARDED, A.RECORD_RESULT): S.RESULT_RECEIVED,
    (S.RESULT_RECEIVED, A.RELEASE): S.READY_FOR_RELEASE,
    (S.ACCEPTED, A.SEND_BACK): S.RETURNED,  # 退回: the review sends the case back to the window
    (S.IN_REVIEW, A.SEND_BACK): S.RETURNED,
    (S.RETURNED, A.RESUBMIT): S.ACCEPTED,
    (S.RETURNED, A.WITHDRAW): S.WITHDRAWN,
}
# 公共服务: accept, handle, release; no approval, no extension, no art. 32.
PUBLIC_SERVICE = {
    **_INTAKE,
    **_RELEASE,
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.HANDLE): S.HANDLED,
    (S.ACCEPTED, A.SUSPEND): S.SUSPENDED,
    (S.ACCEPTED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUSPENDED, A.RESUME): S.IN_REVIEW,  # `case_in` suspends from in_review; resume goes back there
    (S.SUSPENDED, A.WITHDRAW): S.WITHDRAWN,
    (S.HANDLED, A.RELEASE): S.READY_FOR_RELEASE,
}
PUBLIC_SERVICE_CERTIFICATE = {
    **{key: target for key, target in PUBLIC_SERVICE.items() if key != (S.HANDLED, A.RELEASE)},
    (S.HANDLED, A.MAKE_CERTIFICATE): S.CERTIFICATE_MADE,
    (S.CERTIFICATE_MADE, A.SEAL): S.SEALED,
    (S.SEALED, A.RELEASE): S.READY_FOR_RELEASE,
}
FLOWS: dict[Flow, dict[tuple[CaseState, Action], CaseState]] = {
    Flow.LICENCE: LEGAL,
    Flow.REGISTRATION: REGISTRATION,
    Flow.FORWARDING: FORWARDING,
    Flow.PUBLIC_SERVICE: PUBLIC_SERVICE,
    Flow.PUBLIC_SERVICE_CERTIFICATE: PUBLIC_SERVICE_CERTIFICATE,
}
FINAL = {S.NOT_ACCEPTED, S.DENIED, S.DELIVERED, S.WITHDRAWN, S.REGISTERED}

# Who the law names for each action; admins and managers act in place of none of them.
ROLES: dict[Action, set[Role]] = {
    A.ACCEPT: {Role.CLERK},
    A.NOT_ACCEPT: {Role.CLERK},
    A.REQUEST_SUPPLEMENT: {Role.CLERK},
    A.SUPPLEMENT: {Role.CLERK, Role.APPLICANT},
    A.AUTO_ACCEPT: {Role.SYSTEM},
    A.START_REVIEW: {Role.REVIEWER},
    A.APPROVE: {Role.APPROVER},
    A.DENY: {Role.APPROVER},
    A.MAKE_CERTIFICATE: {Role.REVIEWER},
    A.SEAL: {Role.SEALER},
    A.RELEASE: {Role.CLERK},
    A.READY_FOR_PICKUP: {Role.CLERK, Role.CONTROLLER},
    A.DELIVER: {Role.CLERK, Role.CONTROLLER},
    A.RETURN_TO_WINDOW: {Role.CLERK, Role.CONTROLLER},
    A.WITHDRAW: {Role.CLERK, Role.APPLICANT},
    A.SUSPEND: {Role.REVIEWER, Role.APPROVER},
    A.RESUME: {Role.REVIEWER, Role.APPROVER},
    A.EXTEND: {Role.APPROVER},
    A.REGISTER: {Role.CLERK},
    A.FORWARD: {Role.REVIEWER},
    A.RECORD_RESULT: {Role.CLERK, Role.REVIEWER},
    A.HANDLE: {Role.REVIEWER},
    A.SEND_BACK: {Role.REVIEWER, Role.APPROVER},
    A.RESUBMIT: {Role.CLERK},
}

# What a person gives with each action: enough for the rules to accept it.
GOOD_INPUT: dict[Action, ActionInput] = {
    A.NOT_ACCEPT: ActionInput(reason="不属于本机关职权范围"),
    A.DENY: ActionInput(reasons=["不符合法定条件"]),
    A.SUSPEND: ActionInput(suspension_kind="hearing", reason="申请人要求听证"),
    A.EXTEND: ActionInput(reason="需现场核查"),
    A.RELEASE: ActionInput(channel="locker"),
    A.READY_FOR_PICKUP: ActionInput(receipt={"bank": "A", "door": 3}),
    A.DELIVER: ActionInput(receipt={"recipient": "张三", "method": "window"}),
    A.FORWARD: ActionInput(reason="初审通过,材料齐全,同意上报"),
    A.SEND_BACK: ActionInput(reason="营业执照复印件不清晰,请窗口核实"),
    A.RECORD_RESULT: ActionInput(outcome="approved", reason="准予执业"),
}
TERMS_FORWARDING = replace(TERMS, higher_authority="四川省司法厅", stage_budgets={"higher_authority": 15})


def case_in(state: CaseState, flow: Flow = Flow.LICENCE) -> Progress:
    """A case in `state` with the dates and fields a case gets on its way there."""
    case = Progress(number="20250926-0000ABCD", state=state, submitted_on=D(2025, 9, 26), flow=flow)
    if state not in {S.SUBMITTED, S.SUPPLEMENT_REQUIRED, S.NOT_ACCEPTED}:
        case = replace(
            case,
            accepted_on=D(2025, 9, 26),
            decision_due_on=D(2025, 10, 16),
            legal_due_on=D(2025, 10, 30),
        )
    if state is S.SUSPENDED:
        case = replace(case, resume_to=S.IN_REVIEW, suspended_on=D(2025, 9, 29))
    if state in {S.READY_FOR_RELEASE, S.READY_FOR_PICKUP, S.DELIVERED}:
        case = replace(case, release_channel="locker")
    return case


def act(
    case: Progress,
    action: Action,
    data: ActionInput | None = None,
    *,
    terms: Terms | None = None,
    today: dt.date = TODAY,
    report: CompletenessReport | None = None,
    result_document: str | None = "9f2c",
) -> Progress:
    """`report`: by default incomplete for a supplement request, complete for everything else."""
    data = data or GOOD_INPUT.get(action, ActionInput())
    if report is None:
        report = INCOMPLETE if action is A.REQUEST_SUPPLEMENT else COMPLETE
    if terms is None:
        terms = TERMS_FORWARDING if case.flow is Flow.FORWARDING else TERMS
    return step(
        case,
        action,
        data,
        terms=terms,
        calendar=CAL,
        today=today,
        now=NOW,
        report=report,
        result_document=result_document,
    )


@pytest.mark.parametrize("flow", list(Flow))
@pytest.mark.parametrize("state", list(CaseState))
@pytest.mark.parametrize("action", list(Action))
def test_every_state_and_action(flow: Flow, state: CaseState, action: Action) -> None:
    case = case_in(state, flow)
    expected = FLOWS[flow].get((state, action))
    if expected is None:
        with pytest.raises(IllegalTransitionError) as refused:
            act(case, action)
        assert refused.value.details["state"] == state.value
        assert refused.value.details["action"] == action.value
        assert refused.value.details["flow"] == flow.value
        return
    moved = act(case, action)
    assert moved.state is expected
    assert moved.is_open is (expected not in FINAL)
    assert moved.number == case.number and moved.submitted_on == case.submitted_on
    assert moved.flow is flow


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_only_the_roles_the_law_names_may_act(action: Action, role: Role) -> None:
    if role in ROLES[action]:
        require_role(action, {role})
        return
    with pytest.raises(ForbiddenError) as refused:
        require_role(action, {role})
    assert refused.value.details["roles"] == sorted(ROLES[action])


def test_a_refused_step_changes_nothing() -> None:
    case = case_in(S.IN_REVIEW)
    with pytest.raises(InvalidInputError):
        act(case, A.DENY, ActionInput(reasons=["  "]))
    assert case == case_in(S.IN_REVIEW)  # frozen: the rules return a new progress or nothing


def test_filing_opens_the_acceptance_stage_of_five_working_days_across_national_day() -> None:
    case = opened("20250926-0000ABCD", {}, CAL, D(2025, 9, 26))
    assert (case.state, case.is_open, case.stage) == (S.SUBMITTED, True, "acceptance")
    assert (case.stage_entered_on, case.stage_due_on, case.due_estimated) == (
        D(2025, 9, 26),
        D(2025, 10, 10),
        False,
    )


def test_acceptance_sets_the_promised_and_legal_limits_in_working_days() -> None:
    accepted = act(case_in(S.SUBMITTED), A.ACCEPT, today=D(2025, 9, 26))
    # 28 (Sun, worked), 29, 30 Sep, 9, 10, 11 (Sat, worked), 13, 14, 15, 16 Oct.
    assert (accepted.accepted_on, accepted.decision_due_on) == (D(2025, 9, 26), D(2025, 10, 16))
    assert accepted.legal_due_on == D(2025, 10, 30)
    assert (accepted.stage, accepted.stage_due_on, accepted.auto_accepted) == (
        "review",
        D(2025, 10, 16),
        False,
    )


def test_art_32_a_lapsed_notice_period_accepts_from_the_day_of_receipt() -> None:
    submitted = case_in(S.SUBMITTED)
    assert not lapsed(submitted, CAL, D(2025, 10, 10))  # the fifth working day
    assert lapsed(submitted, CAL, D(2025, 10, 11))
    assert not lapsed(replace(submitted, supplement_notice={"lines": []}), CAL, D(2025, 10, 13))
    assert not lapsed(case_in(S.ACCEPTED), CAL, D(2025, 10, 13))
    accepted = act(submitted, A.AUTO_ACCEPT, today=D(2025, 10, 11))
    assert (accepted.accepted_on, accepted.auto_accepted) == (D(2025, 9, 26), True)
    assert accepted.decision_due_on == D(2025, 10, 16)


def test_suspension_stops_the_clock_and_resumption_shifts_both_limits() -> None:
    # paused once before, for one working day
    in_review = replace(case_in(S.IN_REVIEW), stage="review", stage_due_on=D(2025, 10, 16), paused_days=1)
    suspended = act(in_review, A.SUSPEND, today=D(2025, 9, 29))
    assert (suspended.resume_to, suspended.suspended_on) == (S.IN_REVIEW, D(2025, 9, 29))
    assert (suspended.stage, suspended.stage_due_on) == (None, None)
    assert suspended.suspension_reason == "听证: 申请人要求听证"
    resumed = act(suspended, A.RESUME, today=D(2025, 10, 10))  # 30 Sep, 9, 10 Oct were not counted
    assert (resumed.state, resumed.paused_days, resumed.resume_to, resumed.suspended_on) == (
        S.IN_REVIEW,
        4,
        None,
        None,
    )
    assert (resumed.decision_due_on, resumed.legal_due_on) == (D(2025, 10, 21), D(2025, 11, 4))
    assert resumed.stage_due_on == D(2025, 10, 21)


def test_an_extension_adds_ten_working_days_once() -> None:
    extended = act(case_in(S.IN_REVIEW), A.EXTEND)
    assert (extended.decision_due_on, extended.stage_due_on, extended.extended) == (
        D(2025, 10, 30),
        D(2025, 10, 30),
        True,
    )
    assert extended.legal_due_on == D(2025, 11, 13)
    with pytest.raises(ConflictError, match="already extended once"):
        act(extended, A.EXTEND)


def test_the_certificate_stage_takes_the_item_budget_within_the_law_cap() -> None:
    approved = act(case_in(S.IN_REVIEW), A.APPROVE)
    assert (approved.decided_on, approved.stage, approved.stage_due_on) == (
        TODAY,
        "certificate",
        D(2025, 10, 13),
    )
    capped = act(case_in(S.IN_REVIEW), A.APPROVE, terms=Terms(10, 20, {"certificate": 30}))
    assert capped.stage_due_on == D(2025, 10, 22)  # art. 44: ten working days at most


def test_a_date_beyond_the_known_calendar_is_marked_estimated() -> None:
    accepted = act(case_in(S.SUBMITTED), A.ACCEPT, today=D(2026, 12, 24))
    assert accepted.decision_due_on is not None and accepted.decision_due_on.year == 2027
    assert accepted.due_estimated


@pytest.mark.parametrize(
    ("state", "action", "data", "error", "words"),
    [
        (S.SUBMITTED, A.NOT_ACCEPT, ActionInput(reason=" "), InvalidInputError, "不予受理的理由"),
        (S.IN_REVIEW, A.DENY, ActionInput(reasons=["", " "]), InvalidInputError, "不予许可的理由"),
        (S.IN_REVIEW, A.SUSPEND, ActionInput(suspension_kind="lunch"), InvalidInputError, "hearing"),
        (S.IN_REVIEW, A.EXTEND, ActionInput(), InvalidInputError, "reason"),
        (S.SEALED, A.RELEASE, ActionInput(channel="drone"), InvalidInputError, "window, locker, mail"),
        (S.READY_FOR_RELEASE, A.DELIVER, ActionInput(), InvalidInputError, "送达回证"),
    ],
)
def test_the_input_the_law_asks_for(
    state: CaseState, action: Action, data: ActionInput, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        act(case_in(state), action, data)


def test_a_supplement_names_what_is_missing_and_needs_something_missing() -> None:
    report = CompletenessReport(missing=("营业执照",), defects=(Defect("身份证", "复印件不清晰"),))
    notice = act(case_in(S.SUBMITTED), A.REQUEST_SUPPLEMENT, report=report).supplement_notice
    assert notice == {
        "issued_on": "2025-10-09",
        "lines": ["营业执照:未提交", "身份证:复印件不清晰"],
        "missing": ["营业执照"],
        "defects": [{"material": "身份证", "problem": "复印件不清晰"}],
    }
    with pytest.raises(ConflictError, match="nothing to supplement"):
        act(case_in(S.SUBMITTED), A.REQUEST_SUPPLEMENT, report=CompletenessReport(missing=()))


def test_the_supplement_notice_is_issued_once_per_case() -> None:
    report = CompletenessReport(missing=("营业执照",))
    notified = act(case_in(S.SUBMITTED), A.REQUEST_SUPPLEMENT, report=report)
    supplemented = act(notified, A.SUPPLEMENT)
    assert supplemented.state is S.SUBMITTED and supplemented.supplement_notice == notified.supplement_notice
    with pytest.raises(ConflictError, match="不得再次要求补正"):
        act(supplemented, A.REQUEST_SUPPLEMENT, report=CompletenessReport(missing=("公司章程",)))


def test_release_by_locker_pickup_return_and_delivery_keep_the_receipts() -> None:
    released = act(case_in(S.SEALED), A.RELEASE)
    assert (released.release_channel, released.stage) == ("locker", None)
    in_locker = act(released, A.READY_FOR_PICKUP)
    returned = act(in_locker, A.RETURN_TO_WINDOW, ActionInput(reason=" 逾期未取 "))
    assert returned.release_channel == "window"
    assert returned.delivery_receipt == {
        "locker": {"bank": "A", "door": 3},
        "returned": {"on": "2025-10-09", "reason": "逾期未取"},
    }
    with pytest.raises(ConflictError, match="not by a locker"):
        act(returned, A.READY_FOR_PICKUP)
    delivered = act(returned, A.DELIVER)
    assert delivered.delivery_receipt is not None
    assert delivered.delivery_receipt["delivered"] == {"recipient": "张三", "method": "window"}
    assert delivered.delivery_receipt["delivered_at"] == "2025-10-09T15:30:12+08:00"
    assert (delivered.is_open, delivered.stage_due_on) == (False, None)


def file_with(
    *, status: str = "active", channel: str = "window", name: str = " 张三 ", id_number: str = VALID_ID
) -> tuple[str, str]:
    return admit("X", status=status, channels=["window"], channel=channel, name=name, id_number=id_number)


def test_filing_conditions_in_the_order_the_applicant_hears_them() -> None:
    assert file_with() == ("张三", "11010519491231002X")
    with pytest.raises(ConflictError, match="暂停办理"):  # before the ID number is looked at
        file_with(status="suspended", id_number="bad")
    with pytest.raises(ConflictError, match="not offered on the kiosk channel"):
        file_with(channel="kiosk", id_number="bad")
    with pytest.raises(InvalidInputError, match="check character"):
        file_with(id_number="110105194912310021")
    with pytest.raises(InvalidInputError, match="name"):
        file_with(name="  ")


def test_acceptance_is_refused_while_a_material_is_missing_and_records_what_is_owed() -> None:
    with pytest.raises(ConflictError, match="营业执照") as refused:
        act(case_in(S.SUBMITTED), A.ACCEPT, report=INCOMPLETE)
    assert refused.value.details["missing"] == ["营业执照"]
    with pytest.raises(ConflictError, match="未提交任何申请材料"):
        act(case_in(S.SUBMITTED), A.ACCEPT, report=CompletenessReport(missing=(), nothing_given=True))
    owing = CompletenessReport(missing=(), owed=("场所证明",))
    accepted = act(case_in(S.SUBMITTED), A.ACCEPT, report=owing)  # 10, 11 (Sat, worked), 13, 14, 15 Oct
    assert accepted.owed_materials == {"materials": ["场所证明"], "due_on": "2025-10-15", "estimated": False}
    registered = act(case_in(S.SUBMITTED, Flow.REGISTRATION), A.REGISTER, report=owing)
    assert registered.owed_materials is not None and registered.owed_materials["materials"] == ["场所证明"]
    with pytest.raises(ConflictError, match="营业执照"):
        act(case_in(S.SUBMITTED, Flow.REGISTRATION), A.REGISTER, report=INCOMPLETE)


def test_registration_accepts_and_decides_at_once_with_no_clock() -> None:
    registered = act(case_in(S.SUBMITTED, Flow.REGISTRATION), A.REGISTER)
    assert (registered.state, registered.is_open) == (S.REGISTERED, False)
    assert (registered.accepted_on, registered.decided_on) == (TODAY, TODAY)
    assert (registered.decision_due_on, registered.legal_due_on, registered.stage_due_on) == (
        None,
        None,
        None,
    )
    assert registered.release_channel == "window"
    # no art. 32 auto-acceptance: a registration left waiting stays with the window, overdue
    assert not lapsed(case_in(S.SUBMITTED, Flow.REGISTRATION), CAL, D(2025, 10, 20))


def test_forwarding_runs_the_higher_authoritys_clock_and_records_its_result() -> None:
    in_review = case_in(S.IN_REVIEW, Flow.FORWARDING)
    with pytest.raises(InvalidInputError, match="初审意见"):
        act(in_review, A.FORWARD, ActionInput(reason=" "))
    with pytest.raises(ConflictError, match="names no higher authority"):
        act(in_review, A.FORWARD, terms=TERMS)
    forwarded = act(in_review, A.FORWARD)
    assert forwarded.forwarding == {
        "authority": "四川省司法厅",
        "forwarded_on": "2025-10-09",
        "opinion": "初审通过,材料齐全,同意上报",
    }
    # 15 working days from Thu 9 Oct 2025 (the item's budget; worked Saturday 11 Oct counted)
    assert (forwarded.stage, forwarded.stage_due_on) == ("higher_authority", D(2025, 10, 29))
    default = act(in_review, A.FORWARD, terms=replace(TERMS_FORWARDING, stage_budgets={}))
    assert default.stage_due_on == D(2025, 11, 5)  # deadlines.HIGHER_AUTHORITY_DAYS: 20
    with pytest.raises(ConflictError, match="upload the higher authority's result"):
        act(forwarded, A.RECORD_RESULT, result_document=None)
    with pytest.raises(InvalidInputError, match="outcome"):
        act(forwarded, A.RECORD_RESULT, ActionInput(outcome="maybe"))
    received = act(forwarded, A.RECORD_RESULT, today=D(2025, 10, 20))
    assert received.forwarding is not None and received.forwarding["result"] == {
        "outcome": "approved",
        "summary": "准予执业",
        "document_sha256": "9f2c",
        "recorded_on": "2025-10-20",
        "result_on": "2025-10-20",  # no date given: the day it is recorded
    }
    # The date on the higher authority's document, between the forwarding (9 Oct) and today.
    dated = act(
        forwarded,
        A.RECORD_RESULT,
        ActionInput(outcome="denied", result_on=D(2025, 10, 15)),
        today=D(2025, 10, 20),
    )
    assert dated.forwarding is not None and dated.forwarding["result"]["result_on"] == "2025-10-15"
    for wrong, said in ((D(2025, 10, 21), "不能晚于今天"), (D(2025, 10, 8), "不能早于转报日期")):
        with pytest.raises(InvalidInputError, match=said):
            act(
                forwarded,
                A.RECORD_RESULT,
                ActionInput(outcome="approved", result_on=wrong),
                today=D(2025, 10, 20),
            )
    assert (received.state, received.decided_on, received.stage) == (
        S.RESULT_RECEIVED,
        D(2025, 10, 20),
        "release",
    )
    released = act(received, A.RELEASE)
    assert released.state is S.READY_FOR_RELEASE


def test_public_service_is_handled_in_one_stage_then_released() -> None:
    accepted = act(case_in(S.SUBMITTED, Flow.PUBLIC_SERVICE), A.ACCEPT)
    assert accepted.stage == "review"
    handled = act(accepted, A.HANDLE, ActionInput(reason="已办结"))
    assert (handled.state, handled.decided_on, handled.stage) == (S.HANDLED, TODAY, "release")
    with pytest.raises(IllegalTransitionError, match="allowed: release"):
        act(handled, A.MAKE_CERTIFICATE)
    certified = act(replace(handled, flow=Flow.PUBLIC_SERVICE_CERTIFICATE), A.MAKE_CERTIFICATE)
    assert (certified.state, certified.stage) == (S.CERTIFICATE_MADE, "seal")

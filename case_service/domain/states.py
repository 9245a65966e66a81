"""The case's legal life as one state machine (Administrative Licensing Law, arts. 32, 42, 44, 45).

submitted → accepted (受理) / not_accepted (不予受理) / supplement_required (补正)
accepted → in_review → approved / denied (accepted or in_review → returned (退回, send_back) →
accepted (resubmit)); approved → certificate_made → sealed → ready_for_release
→ ready_for_pickup (locker) → delivered; a locker result not collected goes back: ready_for_pickup
→ ready_for_release (return_to_window). Withdrawn, suspended (not counted) and resumed from open states.
An extension (+10 working days) is an action that keeps the state.

That is the licence flow (行政许可, 承诺件). Each flow (domain.flows) has its own table in FLOW_TRANSITIONS:
registration: submitted → registered (备案回执 or the result issued on the spot, final);
forwarding: accepted → in_review (初审) → forwarded (waiting for the higher authority) → result_received
→ ready_for_release → …; public service: accepted → handled → ready_for_release → … (with a certificate:
handled → certificate_made → sealed → ready_for_release).
"""

from __future__ import annotations

from enum import StrEnum

from case_service.domain.errors import ForbiddenError, IllegalTransitionError
from case_service.domain.flows import Flow

# The case states are the HTTP contract's (hall/case_api.py), re-exported for the domain's rules.
from hall.case_api import CaseState as CaseState  # noqa: PLC0414


class Action(StrEnum):
    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"  # the applicant hands in what the notice listed
    AUTO_ACCEPT = "auto_accept"  # art. 32: no supplement notice within 5 working days
    START_REVIEW = "start_review"
    APPROVE = "approve"
    DENY = "deny"
    MAKE_CERTIFICATE = "make_certificate"
    SEAL = "seal"
    RELEASE = "release"  # ready for release at the window, a locker or by mail
    READY_FOR_PICKUP = "ready_for_pickup"  # deposited in a locker
    RETURN_TO_WINDOW = "return_to_window"  # not collected: taken back out of the locker to the window
    DELIVER = "deliver"
    WITHDRAW = "withdraw"
    SUSPEND = "suspend"
    RESUME = "resume"
    EXTEND = "extend"
    REGISTER = "register"  # registration flow: accept and decide in one step at the window
    FORWARD = "forward"  # forwarding flow: the preliminary review done, sent to the higher authority
    RECORD_RESULT = "record_result"  # forwarding flow: the higher authority's result, with its document
    HANDLE = "handle"  # public service flow: the service is done
    SEND_BACK = "send_back"  # 退回: the review sends the case back to the window, with the reason
    RESUBMIT = "resubmit"  # the window has put right what the review named and sends it back to review


class Role(StrEnum):
    APPLICANT = "applicant"
    CLERK = "clerk"  # window clerk (综合窗口)
    REVIEWER = "reviewer"  # department reviewer
    APPROVER = "approver"
    SEALER = "sealer"  # approval bureau, unified seal
    MANAGER = "manager"  # hall manager
    ADMIN = "admin"
    CONTROLLER = "controller"  # hall controller device (lockers)
    KIOSK = "kiosk"
    SYSTEM = "system"


S, A = CaseState, Action

FINAL_STATES = frozenset({S.NOT_ACCEPTED, S.DENIED, S.DELIVERED, S.WITHDRAWN, S.REGISTERED})
# States in which the law's clock runs for the authority and a suspension may stop it.
SUSPENDABLE = frozenset({S.ACCEPTED, S.IN_REVIEW})
WITHDRAWABLE = frozenset(
    {S.SUBMITTED, S.SUPPLEMENT_REQUIRED, S.ACCEPTED, S.IN_REVIEW, S.SUSPENDED, S.RETURNED}
)


def _table(
    *steps: dict[tuple[CaseState, Action], CaseState],
    withdrawable: frozenset[CaseState] = WITHDRAWABLE,
    suspendable: frozenset[CaseState] = SUSPENDABLE,
) -> dict[tuple[CaseState, Action], CaseState]:
    """A flow's table: its steps, then withdrawing and suspending from the states named."""
    table: dict[tuple[CaseState, Action], CaseState] = {}
    for part in steps:
        table.update(part)
    table.update({(state, A.WITHDRAW): S.WITHDRAWN for state in withdrawable})
    table.update({(state, A.SUSPEND): S.SUSPENDED for state in suspendable})
    return table


_INTAKE: dict[tuple[CaseState, Action], CaseState] = {
    (S.SUBMITTED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.SUBMITTED, A.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUIRED,
    (S.SUPPLEMENT_REQUIRED, A.SUPPLEMENT): S.SUBMITTED,
    (S.SUPPLEMENT_REQUIRED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
}
_ACCEPTANCE: dict[tuple[CaseState, Action], CaseState] = {
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    **_INTAKE,
}
_CERTIFICATE: dict[tuple[CaseState, Action], CaseState] = {
    (S.CERTIFICATE_MADE, A.SEAL): S.SEALED,
    (S.SEALED, A.RELEASE): S.READY_FOR_RELEASE,
}
_RELEASE: dict[tuple[CaseState, Action], CaseState] = {
    (S.READY_FOR_RELEASE, A.READY_FOR_PICKUP): S.READY_FOR_PICKUP,
    (S.READY_FOR_RELEASE, A.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, A.DELIVER): S.DELIVERED,
    (S.READY_FOR_PICKUP, A.RETURN_TO_WINDOW): S.READY_FOR_RELEASE,
}
_REVIEW: dict[tuple[CaseState, Action], CaseState] = {
    (S.SUBMITTED, A.AUTO_ACCEPT): S.ACCEPTED,  # art. 32
    (S.ACCEPTED, A.START_REVIEW): S.IN_REVIEW,
    (S.ACCEPTED, A.EXTEND): S.ACCEPTED,
    (S.ACCEPTED, A.SEND_BACK): S.RETURNED,
    (S.IN_REVIEW, A.SEND_BACK): S.RETURNED,
    (S.RETURNED, A.RESUBMIT): S.ACCEPTED,
}

TRANSITIONS: dict[tuple[CaseState, Action], CaseState] = _table(  # the licence flow
    _ACCEPTANCE,
    _REVIEW,
    {
        (S.IN_REVIEW, A.APPROVE): S.APPROVED,
        (S.IN_REVIEW, A.DENY): S.DENIED,
        (S.IN_REVIEW, A.EXTEND): S.IN_REVIEW,
        (S.APPROVED, A.MAKE_CERTIFICATE): S.CERTIFICATE_MADE,
    },
    _CERTIFICATE,
    _RELEASE,
)
_PUBLIC_SERVICE = (_ACCEPTANCE, {(S.ACCEPTED, A.HANDLE): S.HANDLED})
_NOT_REVIEWED = frozenset({S.SUBMITTED, S.SUPPLEMENT_REQUIRED, S.ACCEPTED, S.SUSPENDED})
FLOW_TRANSITIONS: dict[Flow, dict[tuple[CaseState, Action], CaseState]] = {
    Flow.LICENCE: TRANSITIONS,
    Flow.REGISTRATION: _table(
        {(S.SUBMITTED, A.REGISTER): S.REGISTERED},
        _INTAKE,
        withdrawable=frozenset({S.SUBMITTED, S.SUPPLEMENT_REQUIRED}),
        suspendable=frozenset(),
    ),
    Flow.FORWARDING: _table(
        _ACCEPTANCE,
        _REVIEW,
        {
            (S.IN_REVIEW, A.EXTEND): S.IN_REVIEW,
            (S.IN_REVIEW, A.FORWARD): S.FORWARDED,
            (S.FORWARDED, A.RECORD_RESULT): S.RESULT_RECEIVED,
            (S.RESULT_RECEIVED, A.RELEASE): S.READY_FOR_RELEASE,
        },
        _RELEASE,
    ),
    Flow.PUBLIC_SERVICE: _table(
        *_PUBLIC_SERVICE,
        {(S.HANDLED, A.RELEASE): S.READY_FOR_RELEASE},
        _RELEASE,
        withdrawable=_NOT_REVIEWED,
        suspendable=frozenset({S.ACCEPTED}),
    ),
    Flow.PUBLIC_SERVICE_CERTIFICATE: _table(
        *_PUBLIC_SERVICE,
        {(S.HANDLED, A.MAKE_CERTIFICATE): S.CERTIFICATE_MADE},
        _CERTIFICATE,
        _RELEASE,
        withdrawable=_NOT_REVIEWED,
        suspendable=frozenset({S.ACCEPTED}),
    ),
}
# The flows in which a case can be suspended, and so resumed.
_SUSPENDING = frozenset(
    flow for flow, table in FLOW_TRANSITIONS.items() if any(a is A.SUSPEND for _, a in table)
)

ACTION_ROLES: dict[Action, frozenset[Role]] = {
    A.ACCEPT: frozenset({Role.CLERK}),
    A.NOT_ACCEPT: frozenset({Role.CLERK}),
    A.REQUEST_SUPPLEMENT: frozenset({Role.CLERK}),
    A.SUPPLEMENT: frozenset({Role.CLERK, Role.APPLICANT}),
    A.AUTO_ACCEPT: frozenset({Role.SYSTEM}),
    A.START_REVIEW: frozenset({Role.REVIEWER}),
    A.APPROVE: frozenset({Role.APPROVER}),
    A.DENY: frozenset({Role.APPROVER}),
    A.MAKE_CERTIFICATE: frozenset({Role.REVIEWER}),
    A.SEAL: frozenset({Role.SEALER}),
    A.RELEASE: frozenset({Role.CLERK}),
    A.READY_FOR_PICKUP: frozenset({Role.CLERK, Role.CONTROLLER}),
    A.DELIVER: frozenset({Role.CLERK, Role.CONTROLLER}),
    A.RETURN_TO_WINDOW: frozenset({Role.CLERK, Role.CONTROLLER}),
    A.WITHDRAW: frozenset({Role.CLERK, Role.APPLICANT}),
    A.SUSPEND: frozenset({Role.REVIEWER, Role.APPROVER}),
    A.RESUME: frozenset({Role.REVIEWER, Role.APPROVER}),
    A.EXTEND: frozenset({Role.APPROVER}),
    A.REGISTER: frozenset({Role.CLERK}),
    A.FORWARD: frozenset({Role.REVIEWER}),
    A.RECORD_RESULT: frozenset({Role.CLERK, Role.REVIEWER}),
    A.HANDLE: frozenset({Role.REVIEWER}),
    A.SEND_BACK: frozenset({Role.REVIEWER, Role.APPROVER}),
    A.RESUBMIT: frozenset({Role.CLERK}),
}

STATE_LABELS: dict[CaseState, str] = {
    S.SUBMITTED: "已提交",
    S.SUPPLEMENT_REQUIRED: "待补正",
    S.ACCEPTED: "已受理",
    S.NOT_ACCEPTED: "不予受理",
    S.IN_REVIEW: "审核中",
    S.APPROVED: "准予许可",
    S.DENIED: "不予许可",
    S.CERTIFICATE_MADE: "证照已制作",
    S.SEALED: "已盖章",
    S.READY_FOR_RELEASE: "待出件",
    S.READY_FOR_PICKUP: "待取件(智能柜)",
    S.DELIVERED: "已送达",
    S.WITHDRAWN: "已撤回",
    S.SUSPENDED: "中止(不计时)",
    S.REGISTERED: "已办结(当场办结)",
    S.FORWARDED: "已转报上级机关",
    S.RESULT_RECEIVED: "上级机关已作出结果",
    S.HANDLED: "已办结",
    S.RETURNED: "审核退回窗口",
}

NEXT_STEP: dict[CaseState, str] = {
    S.SUBMITTED: "等待窗口受理审查",
    S.SUPPLEMENT_REQUIRED: "请按补正告知书一次性补齐材料",
    S.ACCEPTED: "等待部门审核",
    S.IN_REVIEW: "部门审核中,等待许可决定",
    S.APPROVED: "等待制作证照",
    S.CERTIFICATE_MADE: "等待统一加盖印章",
    S.SEALED: "等待窗口出件",
    S.READY_FOR_RELEASE: "请到窗口领取,或按所选方式送达",
    S.READY_FOR_PICKUP: "请凭取件码或身份证到智能柜取件",
    S.SUSPENDED: "听证、检验检测或专家评审中,期间不计入办理时限",
    S.NOT_ACCEPTED: "办理结束:不予受理",
    S.DENIED: "办理结束:不予许可,可依法申请行政复议或提起行政诉讼",
    S.DELIVERED: "办理结束",
    S.WITHDRAWN: "办理结束:已撤回",
    S.REGISTERED: "办理结束:已当场办结,回执已出具",
    S.FORWARDED: "已初审并转报上级机关,等待上级机关办理结果",
    S.RESULT_RECEIVED: "上级机关办理结果已到,等待窗口出件",
    S.HANDLED: "已办结,等待窗口出件",
    S.RETURNED: "审核部门已退回窗口,窗口核实后重新提交审核",
}


def allowed_actions(
    state: CaseState, *, resume_to: CaseState | None = None, flow: Flow = Flow.LICENCE
) -> list[Action]:
    """What people may request now in the case's flow (the system's own automatic acceptance is not
    listed)."""
    actions: list[Action] = [
        action
        for (source, action) in FLOW_TRANSITIONS[flow]
        if source == state and action is not A.AUTO_ACCEPT
    ]
    if state is S.SUSPENDED and resume_to is not None and flow in _SUSPENDING:
        actions.append(A.RESUME)
    return actions


def next_state(
    state: CaseState, action: Action, *, resume_to: CaseState | None = None, flow: Flow = Flow.LICENCE
) -> CaseState:
    """The state after `action` in the case's flow, or IllegalTransitionError saying what is allowed
    instead."""
    if state is S.SUSPENDED and action is A.RESUME and flow in _SUSPENDING:
        if resume_to is None:
            raise IllegalTransitionError("the suspended case does not record the state to resume to")
        return resume_to
    target = FLOW_TRANSITIONS[flow].get((state, action))
    if target is None:
        allowed = allowed_actions(state, resume_to=resume_to, flow=flow)
        hint = ", ".join(allowed) if allowed else "nothing: the case is closed"
        raise IllegalTransitionError(
            f"cannot {action.value} a case that is {state.value} ({STATE_LABELS[state]}); allowed: {hint}",
            details={
                "state": state.value,
                "action": action.value,
                "flow": flow.value,
                "allowed": [a.value for a in allowed],
            },
        )
    return target


def require_role(action: Action, roles: frozenset[Role] | set[Role]) -> None:
    """Admins may not act in place of the legal roles: the law names who decides."""
    permitted = ACTION_ROLES[action]
    if not permitted & set(roles):
        names = ", ".join(sorted(role.value for role in permitted))
        raise ForbiddenError(
            f"{action.value} needs the role {names}",
            details={"action": action.value, "roles": sorted(permitted)},
        )

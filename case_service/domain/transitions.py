"""What each action does to a case: the legal rules of a transition, pure (no I/O, no clock of its own).

A case's `Progress` is the part of it the law moves: its state and the dates and reasons that come with
each step. `step` takes one action through the state machine of the case's flow (states.next_state;
domain.flows), checks the input the law asks for (acceptance: the materials, `_admission`), and returns the
new progress with its stage's due date in working days (deadlines).
`opened` is the progress of a case just filed, `admit` the catalogue's conditions for filing it, and
`lapsed` says when art. 32 counts a submitted case as accepted without anyone acting.
The case service loads a case, calls these, and stores what they return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.completeness import CompletenessReport, Defect
from case_service.domain.errors import ConflictError, InvalidInputError
from case_service.domain.flows import Flow
from case_service.domain.identity import normalise_id_number
from case_service.domain.states import FINAL_STATES, FLOW_TRANSITIONS, Action, CaseState, next_state

SUSPENSION_KINDS = {
    "hearing": "听证",
    "testing": "检验检测",
    "expert_review": "专家评审",
    "other": "其他法定情形",
}
RELEASE_CHANNELS = ("window", "locker", "mail")
MAX_SUSPENSION_DAYS = 365
AUTO_ACCEPT_BASIS = "行政许可法第三十二条: 逾期不告知的,自收到申请材料之日起即为受理"
OUTCOMES = ("approved", "denied")  # the higher authority's result on a forwarded case
# Actions that need the case's valid certificate when its item issues one (Terms.issues_certificate).
NEEDS_CERTIFICATE = frozenset(
    {Action.MAKE_CERTIFICATE, Action.SEAL, Action.RELEASE, Action.READY_FOR_PICKUP, Action.DELIVER}
)
CERTIFICATE_FLOWS = frozenset({Flow.LICENCE, Flow.PUBLIC_SERVICE_CERTIFICATE})


@dataclass(frozen=True)
class Terms:
    """What the rules read of the case's catalogue item (the version it was filed under)."""

    promised_limit_days: int
    legal_limit_days: int
    stage_budgets: Mapping[str, int] = field(default_factory=dict)
    higher_authority: str = ""  # forwarding flow: the authority the hall forwards to
    # The item issues a result certificate: made, sealed, released and delivered only with one.
    issues_certificate: bool = False


@dataclass(frozen=True)
class Progress:
    """The fields of a case the rules read and change; `number` only names the case in messages."""

    number: str
    state: CaseState
    submitted_on: dt.date
    is_open: bool = True
    resume_to: CaseState | None = None
    stage: str | None = None
    stage_entered_on: dt.date | None = None
    stage_due_on: dt.date | None = None
    due_estimated: bool = False
    accepted_on: dt.date | None = None
    auto_accepted: bool = False
    decision_due_on: dt.date | None = None
    legal_due_on: dt.date | None = None
    decided_on: dt.date | None = None
    suspended_on: dt.date | None = None
    suspension_reason: str | None = None
    paused_days: int = 0
    extended: bool = False
    not_accepted_reason: str | None = None
    decision_reasons: str | None = None
    release_channel: str | None = None
    delivery_receipt: dict[str, Any] | None = None
    supplement_notice: dict[str, Any] | None = None
    owed_materials: dict[str, Any] | None = None  # 容缺: tolerated materials owed since acceptance
    flow: Flow = Flow.LICENCE
    forwarding: dict[str, Any] | None = None  # forwarding flow: to whom, when, and the result


PROGRESS_FIELDS = tuple(each.name for each in fields(Progress))


@dataclass(frozen=True)
class ActionInput:
    """What a person gives with an action; each action reads the parts the law asks of it."""

    reason: str | None = None
    reasons: Sequence[str] = ()
    defects: Sequence[Defect] = ()
    conditions_met: Sequence[str] = ()
    suspension_kind: str | None = None
    channel: str | None = None
    receipt: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None  # record_result: the higher authority's outcome, approved or denied
    result_on: dt.date | None = None  # record_result: the date of the higher authority's result document
    expected_days: int | None = (
        None  # suspend: the special procedure's expected length, told to the applicant
    )


def admit(
    code: str, *, status: str, channels: Sequence[str], channel: str, name: str, id_number: str
) -> tuple[str, str]:
    """The conditions for filing a case of item `code`: the item takes applications, on this channel,
    from a named applicant with a valid ID number. Returns the name and ID number as stored."""
    if status != "active":
        label = {"suspended": "暂停办理 suspended", "handed_down": "已下放 handed down"}.get(status, status)
        raise ConflictError(f"item {code} is {label} and takes no applications", details={"status": status})
    if channel not in channels:
        raise ConflictError(
            f"item {code} is not offered on the {channel} channel (offered: {', '.join(channels)})"
        )
    id_number = normalise_id_number(id_number)
    name = name.strip()
    if not name:
        raise InvalidInputError("applicant name must not be empty")
    return name, id_number


def opened(
    number: str,
    budgets: Mapping[str, int],
    calendar: WorkingCalendar,
    today: dt.date,
    *,
    flow: Flow = Flow.LICENCE,
) -> Progress:
    """A case filed today in its item's flow: submitted, in the acceptance stage (art. 32's five working
    days)."""
    stage = _stage(CaseState.SUBMITTED, None, budgets, calendar, today)
    return Progress(number=number, state=CaseState.SUBMITTED, submitted_on=today, flow=flow, **stage)


def lapsed(progress: Progress, calendar: WorkingCalendar, today: dt.date) -> bool:
    """Art. 32: a submitted case without a supplement notice within five working days counts as accepted
    (from the day it was received): `step` it with Action.AUTO_ACCEPT."""
    return (
        progress.state is CaseState.SUBMITTED
        and (CaseState.SUBMITTED, Action.AUTO_ACCEPT) in FLOW_TRANSITIONS[progress.flow]
        and progress.supplement_notice is None
        and deadlines.acceptance_lapsed(calendar, progress.submitted_on, today)
    )


def step(
    progress: Progress,
    action: Action,
    data: ActionInput,
    *,
    terms: Terms,
    calendar: WorkingCalendar,
    today: dt.date,
    now: dt.datetime,
    report: CompletenessReport | None = None,
    result_document: str | None = None,
    certificate: str | None = None,
) -> Progress:
    """The progress after `action` in the case's flow, or the DomainError saying why not (nothing is
    changed then). `report`: the case's completeness, which Action.REQUEST_SUPPLEMENT and acceptance
    (accept, register) need; `result_document`: the higher authority's result
    as uploaded (its sha256), which Action.RECORD_RESULT needs; `certificate`: the number of the case's
    valid certificate, which making, sealing, releasing and delivering need when the item issues one;
    `now` stamps a delivery.
    Who may act is checked apart (states.require_role): the system's own auto-acceptance is no person's."""
    target = next_state(progress.state, action, resume_to=progress.resume_to, flow=progress.flow)
    if (
        action in NEEDS_CERTIFICATE
        and terms.issues_certificate
        and progress.flow in CERTIFICATE_FLOWS
        and certificate is None
    ):
        raise ConflictError(
            f"办件{progress.number}尚无有效证照，请先制作证照 (no valid certificate: make it first)",
            details={"action": action.value, "certificate": None},
        )
    changes = _effects(
        progress,
        action,
        data,
        terms=terms,
        calendar=calendar,
        today=today,
        now=now,
        report=report,
        result_document=result_document,
    )
    if action is Action.EXTEND:
        changes["stage_due_on"] = changes["decision_due_on"]  # the same stage, a later due day
    else:
        decision_due_on = changes.get("decision_due_on", progress.decision_due_on)
        changes.update(_stage(target, decision_due_on, terms.stage_budgets, calendar, today))
    return replace(progress, state=target, **changes)


def _stage(
    state: CaseState,
    decision_due_on: dt.date | None,
    budgets: Mapping[str, int],
    calendar: WorkingCalendar,
    today: dt.date,
) -> dict[str, Any]:
    """The stage a case enters in `state`, due in its working days; no stage while the clock does not
    run for the authority (closed, suspended (art. 45), waiting for the applicant)."""
    due = deadlines.stage_due(
        calendar, state, entered_on=today, decision_due_on=decision_due_on, budgets=budgets
    )
    decision_estimated = decision_due_on is not None and not calendar.knows(decision_due_on)
    return {
        "is_open": state not in FINAL_STATES,
        "stage": due.stage.value if due else None,
        "stage_entered_on": today if due else None,
        "stage_due_on": due.due if due else None,
        "due_estimated": bool(due and due.estimated) or decision_estimated,
    }


def _effects(
    case: Progress,
    action: Action,
    data: ActionInput,
    *,
    terms: Terms,
    calendar: WorkingCalendar,
    today: dt.date,
    now: dt.datetime,
    report: CompletenessReport | None,
    result_document: str | None = None,
) -> dict[str, Any]:
    """The fields `action` changes besides the state; raises when the input is not what the law asks."""
    flowing = _flow_effects(
        case,
        action,
        data,
        terms=terms,
        calendar=calendar,
        today=today,
        report=report,
        result_document=result_document,
    )
    if flowing is not None:
        return flowing
    if action is Action.NOT_ACCEPT:
        if not (data.reason or "").strip():
            raise InvalidInputError("not accepting needs the reason (不予受理的理由)")
        return {"not_accepted_reason": data.reason}
    if action is Action.REQUEST_SUPPLEMENT:
        if case.supplement_notice is not None:
            # Art. 32(1)(4): everything to supplement is told once (一次性告知); a second notice is not.
            raise ConflictError(
                "本件已出具过补正材料一次性告知书，依法不得再次要求补正（行政许可法第三十二条）："
                "请受理或不予受理"
            )
        if report is None:
            raise ValueError("a supplement request needs the case's completeness report")
        if report.complete:
            raise ConflictError(
                "every listed material is present and no defect was named: nothing to supplement"
            )
        return {
            "supplement_notice": {
                "issued_on": today.isoformat(),
                "lines": report.notice_lines(),
                "missing": list(report.missing),
                "defects": [{"material": d.material, "problem": d.problem} for d in report.defects],
            }
        }
    if action in (Action.ACCEPT, Action.AUTO_ACCEPT):
        # Art. 32: a lapsed notice period means accepted from the day the application was received.
        accepted_on = case.submitted_on if action is Action.AUTO_ACCEPT else today
        return {
            **(_admission(report, calendar, today) if action is Action.ACCEPT else {}),
            "accepted_on": accepted_on,
            "decision_due_on": deadlines.decision_due(calendar, accepted_on, terms.promised_limit_days).date,
            "legal_due_on": calendar.add_working_days(accepted_on, terms.legal_limit_days).date,
            "auto_accepted": action is Action.AUTO_ACCEPT,
        }
    if action is Action.DENY:
        reasons = [reason.strip() for reason in data.reasons if reason.strip()]
        if not reasons:
            raise InvalidInputError("a denial needs its reasons (不予许可的理由)")
        return {"decision_reasons": "\n".join(reasons), "decided_on": today}
    if action is Action.APPROVE:
        return {"decided_on": today, "decision_reasons": data.reason}
    if action is Action.SUSPEND:
        if data.suspension_kind not in SUSPENSION_KINDS:
            raise InvalidInputError(
                f"suspension_kind must be one of {', '.join(SUSPENSION_KINDS)} (art. 45: not counted)"
            )
        if data.expected_days is not None and not 1 <= data.expected_days <= MAX_SUSPENSION_DAYS:
            raise InvalidInputError(f"预计所需时间应为1至{MAX_SUSPENSION_DAYS}日 (expected_days)")
        return {
            "resume_to": case.state,
            "suspended_on": today,
            "suspension_reason": f"{SUSPENSION_KINDS[data.suspension_kind]}: {data.reason or ''}".rstrip(
                ": "
            ),
        }
    if action is Action.RESUME:
        if case.suspended_on is None or case.decision_due_on is None:
            raise ValueError("a suspended case records the day it was suspended and its decision due date")
        paused = deadlines.paused_working_days(calendar, case.suspended_on, today)
        return {
            "paused_days": case.paused_days + paused,
            "decision_due_on": deadlines.shift(calendar, case.decision_due_on, paused).date,
            "legal_due_on": deadlines.shift(calendar, case.legal_due_on, paused).date
            if case.legal_due_on
            else None,
            "suspended_on": None,
            "resume_to": None,
        }
    if action is Action.EXTEND:
        if case.extended:
            raise ConflictError("the decision period was already extended once (art. 42: +10 working days)")
        if not (data.reason or "").strip():
            raise InvalidInputError("an extension needs its reason, told to the applicant")
        if case.decision_due_on is None:
            raise ValueError("an accepted case has its decision due date")
        return {
            "decision_due_on": deadlines.extend(calendar, case.decision_due_on).date,
            "legal_due_on": deadlines.extend(calendar, case.legal_due_on).date if case.legal_due_on else None,
            "extended": True,
        }
    if action is Action.SEND_BACK:
        if not (data.reason or "").strip():
            raise InvalidInputError("sending a case back to the window needs the reason (退回原因)")
        return {}
    if action is Action.RELEASE:
        if data.channel not in RELEASE_CHANNELS:
            raise InvalidInputError(f"channel must be one of {', '.join(RELEASE_CHANNELS)}")
        return {"release_channel": data.channel}
    if action is Action.READY_FOR_PICKUP:
        if case.release_channel != "locker":
            raise ConflictError(f"case {case.number} is released by {case.release_channel}, not by a locker")
        return {"delivery_receipt": {"locker": data.receipt}}
    if action is Action.RETURN_TO_WINDOW:
        # The applicant did not collect it: the result is taken out of the locker and waits at the window.
        return {
            "release_channel": "window",
            "delivery_receipt": {
                **(case.delivery_receipt or {}),
                "returned": {"on": today.isoformat(), "reason": (data.reason or "").strip() or None},
            },
        }
    if action is Action.DELIVER:
        if not data.receipt:
            raise InvalidInputError(
                "delivery needs a receipt (送达回证): recipient, method, and for lockers how"
            )
        return {
            "delivery_receipt": {
                **(case.delivery_receipt or {}),
                "delivered": data.receipt,
                "delivered_on": today.isoformat(),
                "delivered_at": now.replace(microsecond=0).isoformat(),
            }
        }
    return {}  # START_REVIEW, SUPPLEMENT, MAKE_CERTIFICATE, SEAL, WITHDRAW, RESUBMIT: the state alone


def _admission(
    report: CompletenessReport | None, calendar: WorkingCalendar, today: dt.date
) -> dict[str, Any]:
    """Acceptance (accept, register) reads the completeness check: refused while a material that is not
    tolerated is missing, or nothing was handed in; tolerated materials still owed are recorded with the
    day they are due (deadlines.TOLERATED_DAYS working days)."""
    if report is None:
        raise ValueError("acceptance needs the case's completeness report")
    if not report.acceptable:
        raise ConflictError(
            report.refusal(),
            details={
                "missing": list(report.missing),
                "owed": list(report.owed),
                "defects": len(report.defects),
            },
        )
    if not report.owed:
        return {"owed_materials": None}
    due = calendar.add_working_days(today, deadlines.TOLERATED_DAYS)
    return {
        "owed_materials": {
            "materials": list(report.owed),
            "due_on": due.date.isoformat(),
            "estimated": due.estimated,
        }
    }


def _result_on(given: dt.date | None, forwarding: Mapping[str, Any] | None, today: dt.date) -> str:
    """The date on the higher authority's result: between the forwarding and today (today when not given)."""
    if given is None:
        return today.isoformat()
    if given > today:
        raise InvalidInputError(f"上级机关办理结果的日期不能晚于今天({today})")
    forwarded_on = (forwarding or {}).get("forwarded_on")
    if forwarded_on and given < dt.date.fromisoformat(forwarded_on):
        raise InvalidInputError(f"上级机关办理结果的日期不能早于转报日期({forwarded_on})")
    return given.isoformat()


def _flow_effects(
    case: Progress,
    action: Action,
    data: ActionInput,
    *,
    terms: Terms,
    calendar: WorkingCalendar,
    today: dt.date,
    report: CompletenessReport | None,
    result_document: str | None,
) -> dict[str, Any] | None:
    """The actions of the registration, forwarding and public service flows; None for the others."""
    if action is Action.REGISTER:
        # Accepted and decided at once: no review stage, no decision clock; the receipt is handed over.
        return {
            **_admission(report, calendar, today),
            "accepted_on": today,
            "decided_on": today,
            "decision_reasons": (data.reason or "").strip() or None,
            "release_channel": "window",
        }
    if action is Action.FORWARD:
        opinion = (data.reason or "").strip()
        if not opinion:
            raise InvalidInputError("forwarding needs the preliminary review's opinion (初审意见)")
        if not terms.higher_authority.strip():
            raise ConflictError(
                f"the item of case {case.number} names no higher authority (上级机关) to forward to"
            )
        return {
            "forwarding": {
                "authority": terms.higher_authority,
                "forwarded_on": today.isoformat(),
                "opinion": opinion,
            }
        }
    if action is Action.RECORD_RESULT:
        if data.outcome not in OUTCOMES:
            raise InvalidInputError(f"outcome must be one of {', '.join(OUTCOMES)} (the higher authority's)")
        if result_document is None:
            raise ConflictError(
                "upload the higher authority's result document (上级机关办理结果) before recording the result"
            )
        result = {
            "outcome": data.outcome,
            "summary": (data.reason or "").strip() or None,
            "document_sha256": result_document,
            "recorded_on": today.isoformat(),
            "result_on": _result_on(data.result_on, case.forwarding, today),
        }
        return {
            "forwarding": {**(case.forwarding or {}), "result": result},
            "decided_on": today,
            "decision_reasons": result["summary"],
        }
    if action is Action.HANDLE:
        return {"decided_on": today, "decision_reasons": (data.reason or "").strip() or None}
    return None

"""Builds the notice a case calls for (受理, 不予受理, 补正, 准予/不予许可, 送达回证, 备案/办结回执) for the
renderer in `case_service.documents`; which notice exists depends on how far the case went."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import object_session

from case_service.cases import issued as issued_notices
from case_service.cases.package_guard import package_of
from case_service.config import CaseServiceSettings
from case_service.documents import notices as docs
from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.catalogue import is_filing
from case_service.domain.errors import ConflictError
from case_service.domain.flows import Flow
from case_service.domain.states import CaseState
from case_service.storage.models import Case


class NoticeKind(StrEnum):
    ACCEPTANCE = "acceptance"
    NON_ACCEPTANCE = "non_acceptance"
    SUPPLEMENT = "supplement"
    DECISION = "decision"
    SERVICE_RECEIPT = "service_receipt"
    REGISTRATION = "registration"
    EXTENSION = "extension"
    SUSPENSION = "suspension"
    RESUMPTION = "resumption"


PREFIX = {
    NoticeKind.ACCEPTANCE: "受",
    NoticeKind.NON_ACCEPTANCE: "不受",
    NoticeKind.SUPPLEMENT: "补",
    NoticeKind.DECISION: "许",
    NoticeKind.SERVICE_RECEIPT: "送",
    NoticeKind.REGISTRATION: "办",
    NoticeKind.EXTENSION: "延",
    NoticeKind.SUSPENSION: "特",
    NoticeKind.RESUMPTION: "恢",
}
SERVICE_METHODS = {
    "window": docs.ServiceMethod.IN_PERSON,
    "locker": docs.ServiceMethod.LOCKER,
    "mail": docs.ServiceMethod.MAIL,
}


def document_number(kind: NoticeKind, case: Case, year: int) -> str:
    return f"审{PREFIX[kind]}〔{year}〕{case.number}号"


def _decision_title(case: Case) -> str:
    """The title of the result served on the applicant, by the case's flow."""
    if case.flow == Flow.FORWARDING:
        authority = (case.forwarding or {}).get("authority", "上级机关")
        return f"{authority}办理结果"
    if case.flow in (Flow.PUBLIC_SERVICE, Flow.PUBLIC_SERVICE_CERTIFICATE):
        return f"{case.item_name}办理结果"
    return "不予行政许可决定书" if case.state == CaseState.DENIED else "准予行政许可决定书"


def _owed(case: Case) -> tuple[tuple[str, ...], dt.date | None, bool]:
    """The tolerated materials still owed since acceptance, the day they are due, and whether that day was
    counted without the year's holidays."""
    owed = case.owed_materials or {}
    due = owed.get("due_on")
    return (
        tuple(owed.get("materials", ())),
        dt.date.fromisoformat(due) if due else None,
        bool(owed.get("estimated")),
    )


def _package(case: Case) -> tuple[str, tuple[str, ...]]:
    """The “一件事一次办” package `case` was filed in (its name and number) and its other items, as the
    受理通知书 lists them; ("", ()) for a case filed on its own."""
    session = object_session(case)
    found = package_of(session, case) if session is not None else None
    if found is None:
        return "", ()
    package, members = found
    others = tuple(
        f"{member.item_name}（{member.department}，办件编号 {member.number}）"
        for member in members
        if member.id != case.id
    )
    return f"{package.package_name}（受理编号 {package.number}）", others


def _procedural(
    kind: NoticeKind, case: Case, issued_on: dt.date, extra: dict[str, Any], issuer: docs.Issuer
) -> docs.Notice:
    """延期告知书, 特别程序告知书, 恢复办理告知书: from the facts kept when they were issued."""
    number = document_number(kind, case, issued_on.year)
    name, item, case_number = case.applicant_name, case.item_name, case.number
    if kind is NoticeKind.EXTENSION:
        previous = extra.get("previous_due")
        if case.decision_due_on is None or not previous:
            raise ConflictError(f"case {case.number} has no decision due date to extend")
        return docs.ExtensionNotice(
            issuer,
            number,
            name,
            item,
            case_number,
            issued_on,
            previous_due=dt.date.fromisoformat(previous),
            new_due=case.decision_due_on,
            reason=str(extra.get("reason") or ""),
        )
    if kind is NoticeKind.SUSPENSION:
        days = extra.get("expected_days")
        return docs.SuspensionNotice(
            issuer,
            number,
            name,
            item,
            case_number,
            issued_on,
            procedure=str(extra.get("procedure") or "特别程序"),
            reason=str(extra.get("reason") or ""),
            expected_days=int(days) if days else None,
        )
    if case.decision_due_on is None:
        raise ConflictError(f"case {case.number} has no decision due date")
    return docs.ResumptionNotice(
        issuer,
        number,
        name,
        item,
        case_number,
        issued_on,
        suspended_on=dt.date.fromisoformat(extra["suspended_on"]) if extra.get("suspended_on") else issued_on,
        paused_days=case.paused_days,
        new_due=case.decision_due_on,
    )


def build(
    kind: NoticeKind, case: Case, *, settings: CaseServiceSettings, calendar: WorkingCalendar, today: dt.date
) -> docs.Notice:
    """The notice's content, or ConflictError when the case has not reached it. A notice already issued
    is built from the facts of the day it was issued (cases.issued), not from the case as it is now."""
    session = object_session(case)
    document = issued_notices.latest(session, case, kind.value) if session is not None else None
    extra: dict[str, Any] = {}
    if document is not None:
        extra = dict(document.content.get("extra", {}))
        live, case = case, issued_notices.as_issued(case, document)
    else:
        live = case
    issuer = docs.Issuer(authority=settings.authority)
    if kind in (NoticeKind.EXTENSION, NoticeKind.SUSPENSION, NoticeKind.RESUMPTION):
        if document is None:
            raise ConflictError(f"case {case.number} has no {kind.value} notice")
        return _procedural(kind, case, document.issued_on, extra, issuer)
    name = case.applicant_name
    if kind is NoticeKind.REGISTRATION:
        if case.state != CaseState.REGISTERED or case.decided_on is None:
            raise ConflictError(f"case {case.number} was not registered on the spot")
        owed, owed_by, _ = _owed(case)
        return docs.RegistrationReceipt(
            issuer=issuer,
            number=document_number(kind, case, case.decided_on.year),
            applicant=name,
            item_name=case.item_name,
            case_number=case.number,
            submitted_on=case.submitted_on,
            registered_on=case.decided_on,
            filing=is_filing(case.item_code),
            owed=owed,
            owed_by=owed_by,
        )
    if kind is NoticeKind.ACCEPTANCE:
        if case.accepted_on is None or case.decision_due_on is None:
            raise ConflictError(f"case {case.number} has not been accepted")
        owed, owed_by, owed_estimated = _owed(case)
        package, package_items = _package(live)
        return docs.AcceptanceNotice(
            issuer=issuer,
            number=document_number(kind, case, case.accepted_on.year),
            applicant=name,
            item_name=case.item_name,
            case_number=case.number,
            submitted_on=case.submitted_on,
            accepted_on=case.accepted_on,
            decision_due=case.decision_due_on,
            due_estimated=not calendar.knows(case.decision_due_on),
            owed=owed,
            owed_by=owed_by,
            owed_estimated=owed_estimated,
            package=package,
            package_items=package_items,
        )
    if kind is NoticeKind.NON_ACCEPTANCE:
        if case.state != CaseState.NOT_ACCEPTED or not case.not_accepted_reason:
            raise ConflictError(f"case {case.number} was not refused")
        issued = case.updated_at.date() if case.updated_at else today
        return docs.NonAcceptanceNotice(
            issuer=issuer,
            number=document_number(kind, case, issued.year),
            applicant=name,
            item_name=case.item_name,
            submitted_on=case.submitted_on,
            issued_on=issued,
            reason=case.not_accepted_reason,
            reconsideration_body=settings.reconsideration_body,
            court=settings.court,
        )
    if kind is NoticeKind.SUPPLEMENT:
        notice = case.supplement_notice
        if not notice:
            raise ConflictError(f"case {case.number} has no supplement notice")
        problems = [
            docs.MaterialProblem(material, docs.MaterialProblemKind.MISSING) for material in notice["missing"]
        ] + [
            docs.MaterialProblem(defect["material"], docs.MaterialProblemKind.DEFECTIVE, defect["problem"])
            for defect in notice["defects"]
        ]
        issued = dt.date.fromisoformat(notice["issued_on"])
        return docs.SupplementNotice(
            issuer=issuer,
            number=document_number(kind, case, issued.year),
            applicant=name,
            item_name=case.item_name,
            submitted_on=case.submitted_on,
            issued_on=issued,
            problems=tuple(problems),
        )
    if kind is NoticeKind.DECISION:
        if case.flow != Flow.LICENCE:
            raise ConflictError(
                f"case {case.number} ({case.flow}) has no licensing decision of this authority: "
                f"its result is {_decision_title(case)}"
            )
        if case.decided_on is None:
            raise ConflictError(f"case {case.number} has no decision yet")
        number = document_number(kind, case, case.decided_on.year)
        if "opinions" in extra:
            item_basis, opinions = str(extra.get("item_basis", "")), tuple(extra["opinions"])
        elif session is not None:
            item_basis, opinions = issued_notices.review_quotes(session, live)
        else:
            item_basis, opinions = "", ()
        if case.state == CaseState.DENIED:
            return docs.DenialDecision(
                issuer=issuer,
                number=number,
                applicant=name,
                item_name=case.item_name,
                case_number=case.number,
                submitted_on=case.submitted_on,
                decided_on=case.decided_on,
                reasons=tuple((case.decision_reasons or "").splitlines()),
                reconsideration_body=settings.reconsideration_body,
                court=settings.court,
                item_basis=item_basis,
                opinions=opinions,
            )
        certificate_due = calendar.add_working_days(case.decided_on, deadlines.CERTIFICATE_DAYS)
        return docs.ApprovalDecision(
            issuer=issuer,
            number=number,
            applicant=name,
            item_name=case.item_name,
            case_number=case.number,
            submitted_on=case.submitted_on,
            decided_on=case.decided_on,
            scope=f"准予办理{case.item_name}",
            certificate_due=certificate_due.date,
            due_estimated=certificate_due.estimated,
            item_basis=item_basis,
            opinions=opinions,
        )
    receipt = (case.delivery_receipt or {}).get("delivered")
    if case.state != CaseState.DELIVERED or not receipt or case.decided_on is None:
        raise ConflictError(f"case {case.number} has not been delivered")
    served_at = (case.delivery_receipt or {}).get("delivered_at")
    return docs.ServiceReceipt(
        issuer=issuer,
        number=document_number(kind, case, case.decided_on.year),
        document_title=_decision_title(case),
        document_number=document_number(NoticeKind.DECISION, case, case.decided_on.year),
        recipient=str(receipt.get("recipient") or name),
        place=settings.hall_address,
        method=SERVICE_METHODS.get(case.release_channel or "window", docs.ServiceMethod.IN_PERSON),
        served_at=dt.datetime.fromisoformat(served_at) if served_at else None,
        server_names=(str(receipt["by"]),) if receipt.get("by") else (),
        signed_by=str(receipt.get("signed_by") or receipt.get("recipient") or ""),
        notes="; ".join(
            f"{key}={value}"
            for key, value in sorted(receipt.items())
            if key not in {"recipient", "by", "signed_by"}
        ),
    )

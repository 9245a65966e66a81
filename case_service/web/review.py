"""The back office on the case page: each level's opinion per review point (审查要点) and its conclusion,
the decision as the last level's opinion, the send-back to the window (退回), and the approval form
(审批表, PDF). Thin: the rules are domain.review, the records cases.review and cases.opinions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.api.presenters import case_out
from case_service.cases import opinions, site_visits
from case_service.cases import review as case_review
from case_service.cases import service as cases
from case_service.documents.approval_form import ApprovalForm, VisitEntry, render_approval_form
from case_service.domain import review
from case_service.domain.errors import DomainError, InvalidInputError
from case_service.domain.flows import Flow
from case_service.domain.states import STATE_LABELS, CaseState
from case_service.storage import audit
from case_service.storage.models import Case, CaseSiteVisit
from case_service.web import flash
from case_service.web.cases import _back, _say
from case_service.web.review_panel import entry_of
from case_service.web.routes import _context, sign_in_then

router = APIRouter(prefix="/web/case", include_in_schema=False)
MET = {"yes": True, "no": False}


@router.post("/{case_id}/opinion", response_model=None)
def sign_opinion(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    level: Annotated[str, Form(max_length=16)] = "",
    conclusion: Annotated[str, Form(max_length=16)] = "",
    opinion: Annotated[str, Form(max_length=2000)] = "",
    point: Annotated[list[str] | None, Form(max_length=500)] = None,
    met: Annotated[list[str] | None, Form(max_length=8)] = None,
    note: Annotated[list[str] | None, Form(max_length=500)] = None,
) -> Response:
    """One level's opinion: every review point met or not (a note where not), a conclusion, the text."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    points, mets, notes = point or [], met or [], note or []
    kept = {"opinion": opinion, "conclusion": conclusion}
    kept |= {f"met.{index}": value for index, value in enumerate(mets)}
    kept |= {f"note.{index}": value for index, value in enumerate(notes)}
    try:
        if len(points) != len(mets) or len(points) != len(notes):
            raise InvalidInputError("审查要点的表单不完整，请刷新页面后重新填写")
        answers = {p: (MET.get(m), n) for p, m, n in zip(points, mets, notes, strict=True)}
        case = cases.load(ctx, case_id)
        item_points = [str(p) for p in (case_review.item_of(ctx, case).guide or {}).get("review_points", [])]
        if points != item_points:
            raise InvalidInputError("本事项的审查要点已更新，请刷新页面后重新填写")
        try:
            chosen_level, chosen = review.Level(level), review.Conclusion(conclusion)
        except ValueError as err:
            raise InvalidInputError("请选择审查结论") from err
        findings = review.findings_of(item_points, answers)
        case = case_review.sign(
            ctx, case_id, level=chosen_level, findings=findings, conclusion=chosen, text=opinion
        )
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err), kept=kept)
    session.commit()
    label = review.LEVEL_LABELS[chosen_level]
    return _back(case.id, message=f"{label}意见已签署：办件现为{case_out(ctx, case).state_label}")


@router.post("/{case_id}/send-back", response_model=None)
def send_back(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    try:
        case = case_review.send_back(ctx, case_id, reason)
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err), kept={"send_back_reason": reason})
    session.commit()
    return _back(case.id, message="已退回窗口：窗口核实后重新提交审核")


def approval_form(ctx: cases.Context, case: Case, authority: str) -> ApprovalForm:
    item = case_review.item_of(ctx, case)
    chain = opinions.chain_of(item)
    rows = opinions.rows_of(ctx.session, case)
    signed = opinions.signed_in_round(rows)
    decided = case.decided_on is not None
    pending = [] if decided else [level for level in chain if level not in {o.level for o in signed}]
    return ApprovalForm(
        authority=authority,
        case_number=case.number,
        applicant=case.applicant_name,
        item_name=case.item_name,
        item_code=case.item_code,
        department=case.department,
        legal_basis=item.legal_basis,
        submitted_on=case.submitted_on,
        accepted_on=case.accepted_on,
        decision_due=case.decision_due_on,
        chain=chain,
        entries=tuple(entry_of(row) for row in rows),
        state_label=STATE_LABELS[CaseState(case.state)],
        pending=tuple(pending),
        visits=tuple(_visit_entry(ctx, row) for row in site_visits.visits_of(ctx.session, case)),
    )


def _visit_entry(ctx: cases.Context, row: CaseSiteVisit) -> VisitEntry:
    return VisitEntry(
        visit_on=row.visit_on,
        place=row.place,
        inspectors=tuple(str(i.get("name") or i["username"]) for i in row.inspectors),
        conclusion=site_visits.state_of(row).conclusion,
        findings=site_visits.findings_of(row),
        summary=row.summary,
        recorder=opinions.person_name(ctx.session, row.recorded_by) if row.recorded_by else "",
    )


@router.get("/{case_id}/approval-form.pdf", response_model=None)
def approval_form_pdf(
    *, request: Request, case_id: int, session: SessionDep, services: ServicesDep
) -> Response:
    """审批表: every level's opinion, signer and time (read within the staff member's scope, audited)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        case = cases.load(ctx, case_id)
        if case.flow != Flow.LICENCE:
            raise InvalidInputError("本办件不经审批层级，没有审批表")
        pdf = render_approval_form(approval_form(ctx, case, services.settings.case.authority))
    except DomainError:
        session.rollback()
        return flash.page(
            request, "message.html", ctx, text="没有找到该办件的审批表，或该办件不在您的办理范围内"
        )
    audit.append(
        session,
        actor=ctx.principal.actor,
        action="document.read",
        subject_type="case",
        subject_id=case.id,
        after={"document": "approval_form", "bytes": len(pdf)},
    )
    session.commit()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{case.number}-approval-form.pdf"'},
    )

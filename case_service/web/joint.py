"""联审联办 pages: a joint department's open tasks (and, for managers and approvers, every department's,
with the ones holding cases up), a task's page with its form. Thin: cases.joint and domain.joint."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases import joint, opinions
from case_service.domain.errors import DomainError, InvalidInputError
from case_service.domain.joint import JOINT_CONCLUSIONS
from case_service.domain.review import Conclusion
from case_service.domain.states import STATE_LABELS, CaseState, Role
from case_service.web import flash
from case_service.web.cases import _say, material_rows, preview_of
from case_service.web.routes import _context, _login_redirect, sign_in_then

router = APIRouter(prefix="/web/joint", include_in_schema=False)
OVERSEERS = frozenset({Role.MANAGER, Role.ADMIN})
NOT_YOURS = "没有找到该联办任务，或该任务不属于您的部门"


@router.get("", response_model=None)
def task_list(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    """Managers see every department's open tasks; department staff their department's."""
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    overseer = bool(ctx.principal.roles & OVERSEERS)
    department = None if overseer else ctx.principal.department
    if not overseer and department is None:
        return flash.page(request, "message.html", ctx, text="联办任务属于各部门：您的账号不属于任何部门")
    found = joint.open_tasks(session, department)
    rows = [{"task": task, "case": case, "late": joint.is_late(task, ctx.today)} for task, case in found]
    holding = sorted({task.department for task, _case in found if joint.is_late(task, ctx.today)})
    return flash.page(
        request,
        "joint/list.html",
        ctx,
        rows=rows,
        holding=holding,
        overseer=overseer,
        department=department,
        labels={state.value: label for state, label in STATE_LABELS.items()},
    )


@router.get("/{case_id}", response_model=None)
def task_page(case_id: int, request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        case, task = joint.load_task(ctx, case_id)
    except DomainError:
        session.rollback()
        return flash.page(request, "message.html", ctx, text=NOT_YOURS)
    lead = [row for row in opinions.rows_of(session, case) if row.kind == opinions.OPINION]
    return flash.page(
        request,
        "joint/task.html",
        ctx,
        case=case,
        task=task,
        late=joint.is_late(task, ctx.today),
        lead=lead,
        materials=material_rows(session, case),
        conclusions=JOINT_CONCLUSIONS,
        state_label=STATE_LABELS[CaseState(case.state)],
        can_answer=task.answered_on is None and case.decided_on is None,
    )


@router.get("/{case_id}/materials/{material_id}/{view}", response_model=None)
def material(
    *,
    request: Request,
    case_id: int,
    material_id: int,
    view: Literal["content", "preview"],
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """A material of the case, as it is or previewed, for a joint department with a task on the case
    (audited as every read); 404 to anyone else, as for no case at all."""
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        blob = joint.read_material(ctx, case_id, material_id)
        answer = preview_of(blob) if view == "preview" else Response(blob.data, media_type=blob.content_type)
    except DomainError:
        session.rollback()
        return Response(status_code=404)
    session.commit()
    return answer


@router.post("/{case_id}", response_model=None)
def answer(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    conclusion: Annotated[str, Form(max_length=16)] = "",
    opinion: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/joint/{case_id}")
    try:
        try:
            chosen = Conclusion(conclusion)
        except ValueError as err:
            raise InvalidInputError("请选择联办意见的结论") from err
        case, task = joint.answer(ctx, case_id, chosen, opinion)
    except DomainError as err:
        session.rollback()
        return flash.redirect(
            f"/web/joint/{case_id}", error=_say(err), kept={"opinion": opinion, "conclusion": conclusion}
        )
    session.commit()
    return flash.redirect(f"/web/joint/{case_id}", message=f"{task.department}联办意见已提交：{case.number}")

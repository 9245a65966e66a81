"""The 投诉 page: register a complaint, the department's answer, telling the complainant.

Who may use it:
- GET /web/complaints: window clerks, the centre's managers and administrators (every complaint); a
  department head (a manager or approver of a department) their department's. Others: 403.
- POST /web/complaints (register): clerks, managers, administrators.
- POST /web/complaints/{id}/answer: the head of the department the complaint is routed to; for one about
  the hall itself (routed to the hall's office), the hall's managers (a manager of no department).
- POST /web/complaints/{id}/tell: clerks, managers, administrators, once answered (not an anonymous one:
  nobody to tell). A contact phone is shown masked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases import complaints
from case_service.cases.context import Context
from case_service.domain import complaints as rules
from case_service.domain.states import Role
from case_service.web import flash, forms
from case_service.web.routes import _context, _login_redirect

PAGE = "/web/complaints"
router = APIRouter(prefix=PAGE, include_in_schema=False)
HEADS = frozenset({Role.MANAGER, Role.APPROVER})


def _scope(ctx: Context) -> tuple[bool, str | None]:
    """Whether this member of staff reads complaints, and of which department (None: all)."""
    roles = ctx.principal.roles
    if ctx.principal.department is not None and roles & HEADS:
        return True, ctx.principal.department
    return bool(roles & {Role.CLERK, Role.MANAGER, Role.ADMIN}), None


@router.get("", response_model=None)
def complaints_page(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    reads, scope = _scope(ctx)
    if not reads:
        return forms.refused(request, ctx, "投诉管理需要窗口、大厅管理员或部门负责人权限")
    role_names = frozenset(role.value for role in ctx.principal.roles)
    rows = [
        {
            "complaint": complaint,
            "case_number": number,
            "status": rules.status(
                complaint.reply_by,
                complaint.answered_on,
                complaint.told_on,
                ctx.today,
                reachable=complaint.reachable,
            ),
            "contact": complaints.masked_contact(ctx, complaint),
        }
        for complaint, number in complaints.listed(session, scope)
    ]
    return flash.page(
        request,
        "complaints.html",
        ctx,
        rows=rows,
        scope=scope,
        departments=complaints.departments(session),
        channels=rules.CHANNEL_LABELS,
        told=rules.TOLD_LABELS,
        status_labels=rules.STATUS_LABELS,
        may_register=bool(role_names & rules.REGISTRARS),
        may_tell=bool(role_names & rules.TELLERS),
        head_of=ctx.principal.department if ctx.principal.roles & HEADS else None,
        hall_manager=ctx.principal.department is None and Role.MANAGER in ctx.principal.roles,
        topics=rules.TOPIC_LABELS,
        reply_days=rules.REPLY_DAYS,
    )


@router.post("", response_model=None)
def register(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    channel: Annotated[str, Form(max_length=16)] = "",
    complainant: Annotated[str, Form(max_length=200)] = "",
    summary: Annotated[str, Form(max_length=4000)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
    case_number: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    def work(ctx: Context) -> str:
        complaint = complaints.register(
            ctx,
            channel=channel,
            complainant=complainant,
            summary=summary,
            department=department,
            case_ref=case_number,
        )
        return f"投诉 {complaint.id} 已登记,转 {complaint.department},{complaint.reply_by} 前答复"

    return forms.run(request, session, services, PAGE, work)


@router.post("/{complaint_id}/answer", response_model=None)
def answer(
    *,
    request: Request,
    complaint_id: int,
    session: SessionDep,
    services: ServicesDep,
    text: Annotated[str, Form(alias="answer", max_length=4000)] = "",
) -> Response:
    def work(ctx: Context) -> str:
        complaints.answer(ctx, complaint_id, text)
        return f"投诉 {complaint_id} 已答复"

    return forms.run(request, session, services, PAGE, work)


@router.post("/{complaint_id}/tell", response_model=None)
def tell(
    *,
    request: Request,
    complaint_id: int,
    session: SessionDep,
    services: ServicesDep,
    how: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    def work(ctx: Context) -> str:
        complaints.tell(ctx, complaint_id, how)
        return f"投诉 {complaint_id} 已告知投诉人"

    return forms.run(request, session, services, PAGE, work)

"""The 电子监察 pages: at-risk and overdue cases, the yellow and red cards, 督办 and the answers.

Who may use them:
- GET /web/supervision: the centre's manager and administrators (the whole centre); a department head (a
  manager or approver of a department) sees their department only. Others are refused (403).
- POST /web/supervision/run (issue the cards due now): managers and administrators.
- POST /web/supervision/cases/{id}/urge (督办): managers and administrators; a department's own manager
  their department only.
- POST /web/supervision/urgings/{id}/answer: the head of the urged department.
- GET /web/supervision/mine: any member of staff, the cards addressed to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases import cards, supervision
from case_service.cases.service import Context
from case_service.domain import cards as rules
from case_service.domain import deadlines
from case_service.domain.errors import ForbiddenError, InvalidInputError
from case_service.domain.states import Role
from case_service.reports.access import report_scope
from case_service.web import flash, forms
from case_service.web.routes import _context, _login_redirect

PAGE = "/web/supervision"
router = APIRouter(prefix=PAGE, include_in_schema=False)
SUPERVISORS = frozenset({Role.MANAGER, Role.ADMIN})


@router.get("", response_model=None)
def supervision_page(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        scope = report_scope(ctx.principal)
    except ForbiddenError:
        return forms.refused(request, ctx, "电子监察需要大厅管理员或部门负责人权限 (manager role needed)")
    result = supervision.summary(ctx.session, ctx.calendar, ctx.today, department=scope, limit=100)
    rows = []
    for case in result.cases:
        assert case.stage_due_on is not None
        rows.append({"case": case, "status": deadlines.assess(ctx.calendar, case.stage_due_on, ctx.today)})
    card_rows = cards.list_cards(ctx.session, scope)
    urgings = [
        {
            "urging": urging,
            "case": case,
            "status": rules.urging_status(urging.reply_by, urging.answered_on, ctx.today),
        }
        for urging, case in cards.list_urgings(ctx.session, scope)
    ]
    role_names = frozenset(role.value for role in ctx.principal.roles)
    return flash.page(
        request,
        "supervision.html",
        ctx,
        result=result,
        rows=rows,
        stage_labels=deadlines.STAGE_LABELS,
        scope=scope,
        cards=card_rows,
        urgings=urgings,
        colour_labels=rules.COLOUR_LABELS,
        urging_labels=rules.URGING_LABELS,
        recipient_label=lambda stored: rules.Recipient(
            rules.Addressee(stored["addressee"]), stored["role"], stored["department"], stored["person"]
        ).label(),
        may_urge=rules.is_supervisor(role_names),
        may_answer=ctx.principal.department is not None and rules.is_head(role_names),
        department=ctx.principal.department,
        default_reply_by=rules.default_reply_by(ctx.calendar, ctx.today),
    )


@router.post("/run", response_model=None)
def run_now(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    if not ctx.principal.roles & SUPERVISORS:
        return forms.refused(request, ctx, "发牌需要大厅管理员权限 (manager role needed)")
    try:
        issued = cards.issue_cards(session, ctx.calendar, ctx.today, actor=ctx.principal.actor)
        session.commit()
    except IntegrityError:  # the sweep issued the same cards at the same moment: they are issued
        session.rollback()
        return flash.redirect(PAGE, message="这些牌刚由定时监察发出 the sweep has just issued them")
    yellow = sum(card.colour == rules.Colour.YELLOW for card in issued)
    return flash.redirect(PAGE, message=f"已发出黄牌 {yellow} 张、红牌 {len(issued) - yellow} 张")


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise InvalidInputError(f"答复期限 {value[:20]!r} 不是日期 (YYYY-MM-DD)") from err


@router.post("/cases/{case_id}/urge", response_model=None)
def urge(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    reply_by: Annotated[str, Form(max_length=10)] = "",
    instruction: Annotated[str, Form(max_length=2000)] = "",
    card_id: Annotated[int | None, Form()] = None,
) -> Response:
    def work(ctx: Context) -> str:
        urging = cards.urge(
            session,
            ctx.calendar,
            ctx.today,
            ctx.principal,
            case_id,
            reply_by=_day(reply_by),
            instruction=instruction,
            card_id=card_id,
        )
        return f"已督办 {urging.department},{urging.reply_by} 前答复"

    return forms.run(request, session, services, PAGE, work)


@router.post("/urgings/{urging_id}/answer", response_model=None)
def answer(
    *,
    request: Request,
    urging_id: int,
    session: SessionDep,
    services: ServicesDep,
    text: Annotated[str, Form(alias="answer", max_length=2000)] = "",
) -> Response:
    def work(ctx: Context) -> str:
        cards.answer(session, ctx.today, ctx.principal, urging_id, text)
        return f"督办 {urging_id} 已答复"

    return forms.run(request, session, services, PAGE, work)


@router.get("/mine", response_model=None)
def my_cards(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    return flash.page(
        request,
        "supervision_mine.html",
        ctx,
        cards=cards.cards_for(session, ctx.principal),
        colour_labels=rules.COLOUR_LABELS,
        stage_labels=deadlines.STAGE_LABELS,
    )

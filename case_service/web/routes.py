"""Staff pages. Thin: each page reads through the case operations and each button posts one action."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from case_service.api.deps import TOKEN_COOKIE, ServicesDep, SessionDep, principal_of
from case_service.api.presenters import case_out
from case_service.api.routes.auth import LoginThrottleDep, client_address, staff_sign_in
from case_service.auth.tokens import STAFF_TTL, Principal, PrincipalKind
from case_service.cases import service as cases
from case_service.cases import supervision
from case_service.domain import deadlines
from case_service.domain.completeness import Defect
from case_service.domain.errors import DomainError, UnauthorizedError
from case_service.domain.signin import TooManyError
from case_service.domain.states import Action, CaseState, Role
from hall.settings import Mode

router = APIRouter(prefix="/web", include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
S = CaseState

# Which states each role works on, in the order the sections appear.
SECTIONS: dict[Role, list[tuple[str, list[CaseState]]]] = {
    Role.CLERK: [
        ("待受理 Awaiting acceptance", [S.SUBMITTED]),
        ("待补正 Awaiting supplement", [S.SUPPLEMENT_REQUIRED]),
        ("待出件 Ready for release", [S.SEALED, S.READY_FOR_RELEASE, S.READY_FOR_PICKUP]),
    ],
    Role.REVIEWER: [
        ("待审核 To review", [S.ACCEPTED, S.IN_REVIEW]),
        ("待制证 Certificate to make", [S.APPROVED]),
        ("中止 Suspended", [S.SUSPENDED]),
    ],
    Role.APPROVER: [("待决定 Awaiting decision", [S.IN_REVIEW, S.ACCEPTED])],
    Role.SEALER: [("待盖章 Awaiting the unified seal", [S.CERTIFICATE_MADE])],
}
ROLE_TITLES = {
    Role.CLERK: "综合窗口 · 受理与出件",
    Role.REVIEWER: "部门审核 · 工作列表",
    Role.APPROVER: "审批决定 · 工作列表",
    Role.SEALER: "统一印章 · 工作列表",
}


def _principal(request: Request, services: ServicesDep) -> Principal | None:
    try:
        principal = principal_of(request, services)
    except DomainError:
        return None
    return principal if principal.kind is PrincipalKind.STAFF else None


def _login_redirect(request: Request) -> RedirectResponse:
    target = urllib.parse.quote(str(request.url.path))
    return RedirectResponse(f"/web/login?next={target}", status_code=303)


def _context(request: Request, session: SessionDep, services: ServicesDep) -> cases.Context | None:
    principal = _principal(request, services)
    if principal is None:
        return None
    calendar = services.calendars.get(session)
    return cases.Context(session, calendar, services.cipher, services.today(), principal, services.index_keys)


def _page(request: Request, template: str, ctx: cases.Context | None, **values: Any) -> HTMLResponse:
    principal = ctx.principal if ctx else None
    base = {
        "user": principal.subject if principal else None,
        "roles": sorted(role.value for role in principal.roles) if principal else [],
        "today": ctx.today if ctx else None,
        "message": request.query_params.get("message"),
        "error": request.query_params.get("error"),
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **values})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", None, next=request.query_params.get("next", "/web/"))


@router.post("/login", response_model=None)
def login(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    throttle: LoginThrottleDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=200)] = "/web/",
) -> Response:
    try:
        user = staff_sign_in(session, throttle, username, password, client_address(request))
    except TooManyError:
        error = "登录失败次数过多，请稍后再试 Too many failed sign-ins: try again later"
        answer = _page(request, "login.html", None, next=next_page, error=error)
        answer.status_code = 429
        return answer
    except UnauthorizedError:
        error = "用户名或密码错误 Wrong username or password"
        return _page(request, "login.html", None, next=next_page, error=error)
    principal = Principal(
        PrincipalKind.STAFF, user.username, frozenset(Role(r) for r in user.roles), user.department
    )
    token, _expires = services.signer.issue(principal, STAFF_TTL)
    target = next_page if next_page.startswith("/web/") else "/web/"
    response = RedirectResponse(target, status_code=303)
    # Secure in production and whenever the page came over https (behind the TLS proxy as well).
    secure = services.settings.mode is Mode.PRODUCTION or request.url.scheme == "https"
    response.set_cookie(
        TOKEN_COOKIE, token, httponly=True, samesite="strict", max_age=STAFF_TTL, secure=secure
    )
    return response


@router.get("/logout")
def logout(request: Request, session: SessionDep, services: ServicesDep) -> RedirectResponse:
    """Signs the page's token out for good (not only the cookie)."""
    principal = _principal(request, services)
    if principal is not None and principal.token_id:
        services.revocations.revoke(session, principal)
        session.commit()
    response = RedirectResponse("/web/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.get("/", response_model=None)
def start(request: Request, services: ServicesDep) -> Response:
    principal = _principal(request, services)
    if principal is None:
        return _login_redirect(request)
    if principal.roles & {Role.MANAGER, Role.ADMIN}:
        return RedirectResponse("/web/supervision", status_code=303)
    return RedirectResponse("/web/work", status_code=303)


@router.get("/work", response_model=None)
def work_list(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    sections = []
    for role, role_sections in SECTIONS.items():
        if role not in ctx.principal.roles:
            continue
        for title, states in role_sections:
            department = ctx.principal.department if role in (Role.REVIEWER, Role.APPROVER) else None
            rows, total = cases.list_cases(
                ctx, states=[state.value for state in states], department=department, limit=50
            )
            shown = []
            for row in rows:
                out = case_out(ctx, row)
                missing = cases.completeness(ctx, row).missing if row.state == S.SUBMITTED else ()
                shown.append({"case": out, "missing": missing})
            query = urllib.parse.urlencode([("state", state.value) for state in states])
            sections.append(
                {"title": title, "role": role.value, "rows": shown, "total": total, "query": query}
            )
    title = " / ".join(ROLE_TITLES[role] for role in SECTIONS if role in ctx.principal.roles) or "工作列表"
    return _page(request, "work.html", ctx, sections=sections, title=title)


@router.get("/supervision", response_model=None)
def supervision_page(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    if not ctx.principal.roles & {Role.MANAGER, Role.ADMIN, Role.APPROVER}:
        return _page(
            request, "message.html", ctx, text="电子监察需要大厅管理员或审批领导权限 (manager role needed)"
        )
    result = supervision.summary(ctx.session, ctx.calendar, ctx.today, limit=100)
    rows = []
    for case in result.cases:
        assert case.stage_due_on is not None
        rows.append({"case": case, "status": deadlines.assess(ctx.calendar, case.stage_due_on, ctx.today)})
    return _page(
        request, "supervision.html", ctx, result=result, rows=rows, stage_labels=deadlines.STAGE_LABELS
    )


@router.post("/cases/{case_id}/{action}", response_model=None)
def act(
    *,
    request: Request,
    case_id: int,
    action: Action,
    session: SessionDep,
    services: ServicesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    channel: Annotated[str, Form(max_length=16)] = "",
    recipient: Annotated[str, Form(max_length=64)] = "",
    suspension_kind: Annotated[str, Form(max_length=32)] = "",
    defect_material: Annotated[str, Form(max_length=200)] = "",
    defect_problem: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    data = cases.ActionInput(
        reason=reason or None,
        reasons=[line for line in reason.splitlines() if line.strip()] if action is Action.DENY else [],
        defects=[Defect(defect_material, defect_problem)] if defect_material and defect_problem else [],
        suspension_kind=suspension_kind or None,
        channel=channel or None,
        receipt={"recipient": recipient, "method": "window", "by": ctx.principal.subject}
        if recipient
        else {},
    )
    try:
        case = cases.act(ctx, case_id, action, data)
    except DomainError as err:
        session.rollback()
        query = urllib.parse.urlencode({"error": err.message})
        return RedirectResponse(f"/web/work?{query}", status_code=303)
    session.commit()
    query = urllib.parse.urlencode({"message": f"{case.number}: {action.value} → {case.state}"})
    return RedirectResponse(f"/web/work?{query}", status_code=303)

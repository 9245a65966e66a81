"""Staff pages. Thin: each page reads through the case operations and each button posts one action."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from case_service.api.deps import TOKEN_COOKIE, ServicesDep, SessionDep, principal_of
from case_service.api.presenters import case_out
from case_service.api.routes.auth import LoginThrottleDep, client_address, staff_sign_in
from case_service.api.schemas import DEVICE_ID
from case_service.auth import device_registry as registry
from case_service.auth.tokens import STAFF_TTL, Principal, PrincipalKind
from case_service.cases import cards as supervision_cards
from case_service.cases import service as cases
from case_service.domain.cards import COLOUR_LABELS
from case_service.domain.completeness import Defect
from case_service.domain.errors import DomainError, InvalidInputError, UnauthorizedError
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
        ("审核退回 Sent back by the review", [S.RETURNED]),
        (
            "待出件 Ready for release",
            [S.SEALED, S.RESULT_RECEIVED, S.HANDLED, S.READY_FOR_RELEASE, S.READY_FOR_PICKUP],
        ),
        ("已转报 Waiting for the higher authority", [S.FORWARDED]),
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


def sign_in_then(page: str) -> RedirectResponse:
    """No sign-in (or it expired): the login page, then back to `page` — a page that answers GET, never a
    form's own path, which answers only POST. Its query is kept (quoted, so it stays one parameter)."""
    return RedirectResponse(f"/web/login?next={urllib.parse.quote(page)}", status_code=303)


def _login_redirect(request: Request) -> RedirectResponse:
    """A page asked for without a sign-in: sign in, then back to it."""
    return sign_in_then(str(request.url.path))


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
        # The banner says only what the server put there (web/flash.py): never a link's `?message=`.
        "message": None,
        "error": None,
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **values})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    # No banner from the query string here: a link must not put its own words on the official login page.
    return _page(
        request, "login.html", None, next=request.query_params.get("next", "/web/"), error=None, message=None
    )


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
            carded = supervision_cards.current_cards(ctx.session, rows)
            for row in rows:
                out = case_out(ctx, row)
                missing = cases.completeness(ctx, row).missing if row.state == S.SUBMITTED else ()
                shown.append({"case": out, "missing": missing, "cards": carded.get(row.id, [])})
            query = urllib.parse.urlencode([("state", state.value) for state in states])
            sections.append(
                {"title": title, "role": role.value, "rows": shown, "total": total, "query": query}
            )
    title = " / ".join(ROLE_TITLES[role] for role in SECTIONS if role in ctx.principal.roles) or "工作列表"
    from case_service.web import flash  # flash builds on this module's _page

    return flash.page(request, "work.html", ctx, sections=sections, title=title, colour_labels=COLOUR_LABELS)


def form_action_input(
    action: Action,
    *,
    reason: str,
    defect_material: Sequence[str],
    defect_problem: Sequence[str],
    suspension_kind: str,
    channel: str,
    receipt: dict[str, Any] | None = None,
    expected_days: str = "",
) -> cases.ActionInput:
    """An action's input from a staff page's form (the case page's forms and the work list's buttons, both
    posted to the one handler, web/cases.act)."""
    days = expected_days.strip()
    if days and not days.isdigit():
        raise InvalidInputError("预计所需时间请填写天数，如 20")
    return cases.ActionInput(
        reason=reason or None,
        reasons=[line for line in reason.splitlines() if line.strip()] if action is Action.DENY else [],
        # One notice lists every problem: each material named with what is wrong with it (blank rows skipped).
        defects=[
            Defect(material.strip()[:200], problem.strip()[:500])
            for material, problem in zip(defect_material, defect_problem, strict=False)
            if material.strip() and problem.strip()
        ],
        suspension_kind=suspension_kind or None,
        channel=channel or None,
        receipt=receipt or {},
        expected_days=int(days) if days else None,
    )


# --- Devices (admin): register, rotate, revoke; a one-time code is shown once, on the page only ---------

KIND_LABELS = {"kiosk": "自助终端 kiosk", "device": "设备 device", "controller": "大厅控制器 controller"}
STATE_LABELS = {
    "awaiting_enrolment": "待登记 awaiting enrolment",
    "enrolled": "已登记 enrolled",
    "revoked": "已吊销 revoked",
    "no_credential": "无凭据 no credential",
}


def _devices_page(
    request: Request, ctx: cases.Context, *, issued: dict[str, Any] | None = None, error: str | None = None
) -> HTMLResponse:
    rows = [{"device": device, "state": registry.state_of(device)} for device in registry.listed(ctx.session)]
    values: dict[str, Any] = {"rows": rows, "issued": issued, "kinds": KIND_LABELS, "states": STATE_LABELS}
    from case_service.web import flash  # flash renders through this module's _page

    if error:
        page = _page(request, "devices.html", ctx, error=error, **values)
    else:  # the banner of a redirect (a revocation) comes from the flash cookie, never from the URL
        page = flash.page(request, "devices.html", ctx, **values)
    page.headers["Cache-Control"] = "no-store"  # a page showing a one-time code is never cached
    return page


def _devices_or_refusal(
    request: Request, session: SessionDep, services: ServicesDep
) -> Response | cases.Context:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    if Role.ADMIN not in ctx.principal.roles:
        return _page(request, "message.html", ctx, text="设备管理需要系统管理员权限 (admin role needed)")
    return ctx


@router.get("/devices", response_model=None)
def devices_page(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _devices_or_refusal(request, session, services)
    return ctx if isinstance(ctx, Response) else _devices_page(request, ctx)


@router.post("/devices", response_model=None)
def register_device(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    device_id: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
    hall_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    ctx = _devices_or_refusal(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    if not re.fullmatch(DEVICE_ID, device_id) or not re.fullmatch(DEVICE_ID, hall_id):
        return _devices_page(
            request, ctx, error="设备编号和大厅编号只能用小写字母、数字和 - (lowercase, digits, -)"
        )
    try:
        device, code, expires = registry.register(session, ctx.principal.actor, device_id, kind, hall_id)
    except DomainError as err:
        session.rollback()
        return _devices_page(request, ctx, error=err.message)
    session.commit()
    return _devices_page(request, ctx, issued={"device": device, "code": code, "expires": expires})


@router.post("/devices/{device_id}/{act}", response_model=None)
def change_device(
    *, request: Request, device_id: str, act: str, session: SessionDep, services: ServicesDep
) -> Response:
    ctx = _devices_or_refusal(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    try:
        if act == "rotate":
            device, code, expires = registry.rotate(session, ctx.principal.actor, device_id)
            issued: dict[str, Any] | None = {"device": device, "code": code, "expires": expires}
        elif act == "revoke":
            registry.revoke(session, ctx.principal.actor, device_id)
            issued = None
        else:
            return _devices_page(request, ctx, error=f"unknown action {act!r}")
    except DomainError as err:
        session.rollback()
        return _devices_page(request, ctx, error=err.message)
    session.commit()
    if issued is None:
        from case_service.web import flash

        return flash.redirect("/web/devices", message=f"{device_id}: 已吊销 revoked")
    return _devices_page(request, ctx, issued=issued)

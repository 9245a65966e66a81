"""The queue desk inside the case service's staff app (one app, one login): call next, recall, transfer,
pause, finish at the clerk's window.

Shape: a server-side proxy. Each button posts a form here; this route calls the hall controller's queue API
(`/api/v1/ext/queue/windows/{n}/actions`) with the clerk's own staff token from the sign-in cookie, which
the controller verifies itself (hall_controller/auth.py). The browser talks to one origin only; no CORS,
no script. A called ticket bound to a case opens that applicant's open cases beside the buttons.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from case_service.api.deps import ServicesDep, SessionDep, bearer_token
from case_service.api.presenters import case_out
from case_service.cases import service as cases
from case_service.domain.errors import DomainError
from case_service.web import flash
from case_service.web.hall_link import ControllerError, call
from case_service.web.routes import _context, _login_redirect, sign_in_then
from hall.http_errors import body_of, error_code

router = APIRouter(prefix="/web/desk/queue", include_in_schema=False)
QUEUE_API = "/api/v1/ext/queue"
KEYS = {
    "sign-in": "签到",
    "next": "叫下一号",
    "recall": "重呼",
    "start": "开始办理",
    "no-show": "过号",
    "transfer": "转办",
    "pause": "暂停",
    "resume": "恢复",
    "finish": "办结",
    "sign-out": "签退",
}
# The controller's refusal codes, in the clerk's words (the controller's own text is English).
REFUSALS = {
    "window_closed": "本窗口尚未签到，请先签到",
    "window_paused": "本窗口已暂停，请先恢复",
    "window_busy": "本窗口正在办理一个号，请先办结或转办",
    "window_taken": "本窗口已由其他工作人员签到",
    "not_your_window": "本窗口已由其他工作人员签到",
    "no_ticket": "当前没有等候的号",
    "not_called": "本窗口没有已叫的号",
    "not_serving": "本窗口没有正在办理的号",
    "already_paused": "本窗口已暂停",
    "not_paused": "本窗口未暂停",
    "bad_transfer": "请选择转办的事项或窗口",
    "unknown_service": "没有这个业务类别",
    "unknown_window": "没有这个窗口",
    "bad_outcome": "请填写办理结果",
    "bad_reason": "请填写暂停原因",
}


def _back(window: int, *, message: str = "", error: str = "") -> RedirectResponse:
    return flash.redirect(f"/web/desk/queue?window={window}", message=message, error=error)


@router.get("", response_model=None)
def queue_desk(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    window: Annotated[int, Query(ge=1, le=999)] = 1,
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    token = bearer_token(request) or ""
    state: dict[str, Any] = {}
    ticket: dict[str, Any] | None = None
    unreachable = ""
    try:
        answer = call(services, "GET", f"{QUEUE_API}/windows/{window}", token)
        if answer.status_code == 200:
            state = answer.json()
            ticket = state.get("ticket")
        else:
            code = error_code(body_of(answer))
            unreachable = REFUSALS.get(code, f"叫号器拒绝了此操作 ({code or answer.status_code})")
    except ControllerError as err:
        unreachable = err.message
    person_cases = []
    try:
        if ticket and ticket.get("case_id"):
            bound = cases.load(ctx, str(ticket["case_id"]))
            query = cases.CaseQuery(applicant_index=bound.applicant_index, by_deadline=True)
            rows, _total = cases.list_cases(ctx, limit=50, search=query)
            person_cases = [case_out(ctx, row) for row in rows if row.is_open]
        elif ticket and ticket.get("person"):
            rows = cases.open_cases_of_queue_person(ctx, str(ticket["person"]))
            person_cases = [case_out(ctx, row) for row in rows]
    except DomainError as err:
        unreachable = err.message
    return flash.page(
        request,
        "desk/queue.html",
        ctx,
        window=window,
        state=state,
        ticket=ticket,
        person_cases=person_cases,
        unreachable=unreachable,
        keys=KEYS,
    )


@router.post("/{key}", response_model=None)
def press(
    *,
    request: Request,
    key: str,
    session: SessionDep,
    services: ServicesDep,
    window: Annotated[int, Form(ge=1, le=999)] = 1,
    service: Annotated[str, Form(max_length=32)] = "",
    to_window: Annotated[str, Form(max_length=3)] = "",
    outcome: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
    case_id: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/desk/queue?window={window}")
    if key not in KEYS:
        return _back(window, error="没有这个操作")
    body: dict[str, Any] = {"key": key}
    if key == "transfer":
        if to_window.isdigit():
            body["to_window"] = int(to_window)
        elif service:
            body["service"] = service
    if key == "finish":
        body["outcome"] = outcome or "办结"
        if case_id:
            body["case_id"] = case_id
    if key == "pause":
        body["reason"] = reason
    try:
        path = f"{QUEUE_API}/windows/{window}/actions"
        answer = call(services, "POST", path, bearer_token(request) or "", body)
    except ControllerError as err:
        return _back(window, error=err.message)
    if answer.status_code != 200:
        code = error_code(body_of(answer))
        return _back(window, error=REFUSALS.get(code, f"叫号器拒绝了此操作 ({code or answer.status_code})"))
    shown = answer.json().get("ticket") or {}
    number = f" {shown['number']}" if shown.get("number") else ""
    return _back(window, message=f"{KEYS[key]}{number}")

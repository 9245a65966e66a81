"""The audit viewer: search the hash-chained trail (actor, action, subject, days), a page at a time, and
verify the chain.

Who may use it: managers and administrators (GET /web/audit, GET /web/audit/verify). Others: 403.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases.context import Context
from case_service.domain.states import Role
from case_service.storage import audit
from case_service.storage.audit_search import AuditQuery, hall_time, search
from case_service.web.routes import _context, _login_redirect, _page

router = APIRouter(prefix="/web/audit", include_in_schema=False)
READERS = frozenset({Role.MANAGER, Role.ADMIN})


def _reader(request: Request, session: SessionDep, services: ServicesDep) -> Context | Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    if not ctx.principal.roles & READERS:
        answer = _page(request, "message.html", ctx, text="审计日志需要大厅管理员或系统管理员权限")
        answer.status_code = 403
        return answer
    return ctx


def _day(value: str | None) -> tuple[dt.date | None, str | None]:
    if not value:
        return None, None
    try:
        return dt.date.fromisoformat(value), None
    except ValueError:
        return None, f"日期 {value[:12]!r} 不是 YYYY-MM-DD,已忽略"


def shown(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@router.get("", response_model=None)
def audit_page(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    actor: Annotated[str, Query(max_length=128)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    subject_type: Annotated[str, Query(max_length=32)] = "",
    subject_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    ctx = _reader(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    (start, bad_start), (end, bad_end) = _day(since), _day(until)
    query = AuditQuery(
        actor.strip(), action.strip(), subject_type.strip(), subject_id.strip(), start, end, before
    )
    result = search(session, query)
    filters = query.filters()
    older = urlencode({**filters, "before": result.next_before}) if result.next_before else None
    return _page(
        request,
        "audit.html",
        ctx,
        query=query,
        result=result,
        older=older,
        newest=urlencode(filters),
        hall_time=hall_time,
        shown=shown,
        warning=bad_start or bad_end,
    )


@router.get("/verify", response_model=None)
def verify(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _reader(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    report = audit.verify(session)
    return _page(request, "audit_verify.html", ctx, report=report)

"""The work list with search, filters, deadline sort and paging: every case reachable, none hidden."""

from __future__ import annotations

import math
import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from case_service.api.deps import ServicesDep, SessionDep
from case_service.api.presenters import case_out
from case_service.cases import service as cases
from case_service.domain.states import FINAL_STATES, STATE_LABELS, CaseState
from case_service.storage.models import Item
from case_service.web import flash
from case_service.web.routes import _context, _login_redirect

router = APIRouter(prefix="/web", include_in_schema=False)
PAGE_SIZE = 20
OPEN_STATES = [state for state in CaseState if state not in FINAL_STATES]


@router.get("/desk", response_model=None)
def desk(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[list[str] | None, Query(max_length=16)] = None,
    department: Annotated[str, Query(max_length=64)] = "",
    item: Annotated[str, Query(max_length=32)] = "",
    overdue: Annotated[str, Query(max_length=4)] = "",
    sort: Annotated[str, Query(max_length=16)] = "deadline",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    chosen = [value for value in state or [] if value in {s.value for s in CaseState}]
    if state == ["all"]:
        states: list[str] = []
    elif chosen:
        states = chosen
    else:
        states = [s.value for s in OPEN_STATES]
    search = cases.CaseQuery(
        text=q, item_code=item or None, overdue=overdue == "1", by_deadline=sort != "newest"
    )
    rows, total = cases.list_cases(
        ctx,
        states=states,
        department=department or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        search=search,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    items = session.execute(
        select(Item.code, Item.name, Item.department).where(Item.is_current.is_(True)).order_by(Item.code)
    ).all()
    scope = cases.department_scope(ctx.principal)
    departments = sorted({row.department for row in items if scope is None or row.department == scope})
    filters = {"q": q, "department": department, "item": item, "overdue": overdue, "sort": sort}
    pairs = [(key, value) for key, value in filters.items() if value] + [("state", v) for v in state or []]
    base_query = urllib.parse.urlencode(pairs)
    filters["state"] = state[0] if state and len(state) == 1 else ""
    return flash.page(
        request,
        "desk/list.html",
        ctx,
        rows=[case_out(ctx, row) for row in rows],
        total=total,
        page=page,
        pages=pages,
        first_row=(page - 1) * PAGE_SIZE + 1,
        filters=filters,
        base_query=base_query,
        states=[(s.value, STATE_LABELS[s]) for s in CaseState],
        departments=departments,
        items=[row for row in items if row.department in departments],
    )

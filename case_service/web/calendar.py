"""The working-day calendar's administration page: a year's months as the one calendar counts them
(working days, days off, swapped working weekends, hand-entered days), the years known, one day set by
hand, and a year's State Council announcement entered after a dry run that shows what it would change.

Thin: every change goes through the administration API's own operations (api/routes/admin.py), so the
page and the API record, audit and recount open cases' due dates the same way.

Who may use it: administrators (as the calendar API). Others: 403.
"""

from __future__ import annotations

import calendar as months
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from case_service.api import schemas
from case_service.api.deps import ServicesDep, SessionDep
from case_service.api.routes import admin
from case_service.cases.context import Context
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import DomainError
from case_service.domain.states import Role
from case_service.storage.models import HolidayOverride
from case_service.web import flash
from case_service.web.routes import _context, _login_redirect, _page

router = APIRouter(prefix="/web/calendar", include_in_schema=False)
WEEKDAYS = "一二三四五六日"


def _admin(request: Request, session: SessionDep, services: ServicesDep) -> Context | Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    if Role.ADMIN not in ctx.principal.roles:
        answer = _page(
            request, "message.html", ctx, text="工作日历管理需要系统管理员权限 (admin role needed)"
        )
        answer.status_code = 403
        return answer
    return ctx


def _back(year: int, *, message: str = "", error: str = "") -> Response:
    return flash.redirect(f"/web/calendar?year={year}", message=message, error=error)


def month_grid(calendar: WorkingCalendar, overrides: set[dt.date], year: int, month: int) -> list[list[Any]]:
    """The month's weeks (Monday first), each day with how the calendar counts it."""
    weeks = []
    for week in months.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row: list[dict[str, object] | None] = []
        for day in week:
            if day.month != month:
                row.append(None)
                continue
            working = calendar.is_working_day(day)
            weekend = day.weekday() >= 5
            kind = (
                ("swapped" if weekend else "working")
                if working
                else ("holiday" if not weekend else "weekend")
            )
            row.append({"day": day, "kind": kind, "entered": day in overrides})
        weeks.append(row)
    return weeks


def _calendar_page(
    request: Request, ctx: Context, services: ServicesDep, year: int, preview: dict[str, Any] | None = None
) -> Response:
    session = ctx.session
    calendar = services.calendars.get(session)
    entered = {
        row.day: row
        for row in session.scalars(
            select(HolidayOverride).where(
                HolidayOverride.day >= dt.date(year, 1, 1), HolidayOverride.day <= dt.date(year, 12, 31)
            )
        )
    }
    return flash.page(
        request,
        "calendar.html",
        ctx,
        year=year,
        known=calendar.knows(dt.date(year, 1, 1)),
        years=admin.calendar_years(session, services),
        entered=sorted(entered.values(), key=lambda row: row.day),
        months=[(month, month_grid(calendar, set(entered), year, month)) for month in range(1, 13)],
        weekdays=WEEKDAYS,
        preview=preview,
    )


@router.get("", response_model=None)
def calendar_page(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    ctx = _admin(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    return _calendar_page(request, ctx, services, year or ctx.today.year)


@router.post("/days", response_model=None)
def set_day(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    day: Annotated[str, Form(max_length=10)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    ctx = _admin(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return _back(ctx.today.year, error=f"日期 {day[:12]!r} 不是 YYYY-MM-DD")
    if kind not in ("working", "holiday"):
        return _back(date.year, error="请选择上班或放假")
    body = schemas.HolidayIn(is_working_day=kind == "working", note=note.strip())
    admin.put_holiday(date, body, session, services, ctx.principal)
    label = "上班" if body.is_working_day else "放假"
    return _back(date.year, message=f"{date} 已设为{label};未办结办件的时限已重新计算")


@router.post("/announcements", response_model=None)
def announcement(
    *,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    text: Annotated[str, Form(max_length=20000)] = "",
    year: Annotated[str, Form(max_length=4)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    ctx = _admin(request, session, services)
    if isinstance(ctx, Response):
        return ctx
    try:
        body = schemas.AnnouncementIn(
            text=text, year=int(year) if year.isdigit() else None, confirm=confirm == "yes"
        )
        result = admin.enter_announcement(body, session, services, ctx.principal)
    except ValidationError:
        session.rollback()
        return _back(ctx.today.year, error="公告内容为空或年份不对")
    except DomainError as err:
        session.rollback()
        return _back(int(year) if year.isdigit() else ctx.today.year, error=err.message)
    if result.entered:
        return _back(
            result.year,
            message=f"{result.year} 年节假日安排已录入;{result.cases_changed} 件未办结办件的时限已重新计算",
        )
    return _calendar_page(
        request, ctx, services, result.year, preview={"result": result, "text": text, "year": result.year}
    )

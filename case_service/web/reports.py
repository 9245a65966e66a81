"""The manager's figures pages: case figures (/web/reports) and 好差评 (/web/reports/ratings), as tables
and charts, the case figures also as xlsx.

Thin: the form's choices go to `reports.service`; the charts are drawn in the browser by the vendored
ECharts (static/vendor/echarts) from the figures embedded as a JSON data block, with no inline script
(these pages' CSP allows scripts from the case service itself only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases.service import Context
from case_service.domain.errors import DomainError, ForbiddenError, InvalidInputError
from case_service.reports.access import report_scope
from case_service.reports.export import (
    BY_FLOW,
    XLSX,
    ratings_workbook_bytes,
    ratings_workbook_name,
    workbook_bytes,
    workbook_name,
)
from case_service.reports.figures import FLOW_GROUP_LABELS, STAGE_LABELS, GroupBy, StageName
from case_service.reports.periods import Period, PeriodKind, period_of
from case_service.reports.ratings import LEVELS, RatingGroupBy
from case_service.reports.service import CaseReport, case_report, rating_report
from case_service.web.routes import _context, _login_redirect, _page

router = APIRouter(prefix="/web/reports", include_in_schema=False)
STATIC = Path(__file__).parent / "static"
ASSETS = {
    "echarts.min.js": STATIC / "vendor" / "echarts" / "echarts.min.js",
    "reports.js": STATIC / "reports.js",
}
PERIODS = {
    PeriodKind.DAY: "日 day",
    PeriodKind.WEEK: "周 week",
    PeriodKind.MONTH: "月 month",
    PeriodKind.YEAR: "年 year",
    PeriodKind.RANGE: "区间 range",
}
CASE_GROUPS = {
    GroupBy.DEPARTMENT: "部门 department",
    GroupBy.ITEM: "事项 item",
    GroupBy.CHANNEL: "渠道 channel",
    GroupBy.CLERK: "受理人 clerk",
    GroupBy.WINDOW: "窗口 window",
    GroupBy.NONE: "不分组 none",
}
RATING_GROUPS = {
    RatingGroupBy.DEPARTMENT: "部门 department",
    RatingGroupBy.ITEM: "事项 item",
    RatingGroupBy.WINDOW: "窗口 window",
    RatingGroupBy.CLERK: "工作人员 clerk",
    RatingGroupBy.NONE: "不分组 none",
}
G = TypeVar("G", bound=StrEnum)


@dataclass(frozen=True)
class Choice:
    """What the form asked for, as given (shown back in the form)."""

    period: PeriodKind
    date: dt.date | None
    start: dt.date | None
    end: dt.date | None
    group_by: str
    department: str | None

    def query(self) -> str:
        values = {"period": self.period.value, "group_by": self.group_by}
        for name, value in (("date", self.date), ("from", self.start), ("to", self.end)):
            if value is not None:
                values[name] = value.isoformat()
        if self.department:
            values["department"] = self.department
        return urlencode(values)

    def grouping(self, kind: type[G], default: G) -> G:
        try:
            return kind(self.group_by) if self.group_by else default
        except ValueError as err:
            raise InvalidInputError(
                f"分组 group_by: {self.group_by[:16]!r} is not one of the choices"
            ) from err


def _day(value: str | None, name: str) -> dt.date | None:
    """A form's date field: empty is none; anything else must be a day (YYYY-MM-DD)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise InvalidInputError(f"{name}: {value[:20]!r} is not a day (YYYY-MM-DD)") from err


def choice_of(
    *,
    period: Annotated[PeriodKind, Query()] = PeriodKind.MONTH,
    date: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    group_by: Annotated[str, Query(max_length=16)] = "",
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Choice | InvalidInputError:
    """The form's choice; a date that is not one comes back as the error to show (the page says so)."""
    try:
        days = _day(date, "日期 date"), _day(start, "区间起 from"), _day(end, "区间止 to")
    except InvalidInputError as err:
        return err
    return Choice(period, days[0], days[1], days[2], group_by, department or None)


ChoiceDep = Annotated[Choice | InvalidInputError, Depends(choice_of)]


@dataclass(frozen=True)
class Asked:
    ctx: Context
    choice: Choice
    period: Period
    department: str | None  # the scope: None is the whole centre


def _asked(
    request: Request, session: SessionDep, services: ServicesDep, choice: Choice | InvalidInputError
) -> Response | Asked:
    """The signed-in reader's period and scope; else the answer to give (sign-in, refusal, bad choice)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        if isinstance(choice, InvalidInputError):
            raise choice
        scope = report_scope(ctx.principal, choice.department)
        period = period_of(choice.period, choice.date or ctx.today, start=choice.start, end=choice.end)
    except ForbiddenError as err:
        text = f"统计需要大厅管理员或部门负责人权限: {err.message}"
        answer = _page(request, "message.html", ctx, text=text)
        answer.status_code = 403
        return answer
    except DomainError as err:
        answer = _page(request, "message.html", ctx, text=f"查询条件有误 Bad choice: {err.message}")
        answer.status_code = 422
        return answer
    return Asked(ctx, choice, period, scope)


def _refused(request: Request, ask: Asked, err: DomainError) -> Response:
    answer = _page(request, "message.html", ask.ctx, text=f"查询条件有误 Bad choice: {err.message}")
    answer.status_code = 422
    return answer


def _case_report(
    request: Request, session: SessionDep, services: ServicesDep, choice: Choice | InvalidInputError
) -> tuple[Asked, GroupBy, CaseReport] | Response:
    """The case figures asked for (the page and its workbook), else what to answer instead."""
    ask = _asked(request, session, services, choice)
    if isinstance(ask, Response):
        return ask
    try:
        group_by = ask.choice.grouping(GroupBy, GroupBy.DEPARTMENT)
    except InvalidInputError as err:
        return _refused(request, ask, err)
    return ask, group_by, case_report(session, ask.ctx.calendar, ask.period, group_by, ask.department)


def _rating_report(
    request: Request, session: SessionDep, services: ServicesDep, choice: Choice | InvalidInputError
) -> tuple[Asked, RatingGroupBy, dict[str, Any]] | Response:
    """The 好差评 figures asked for (the page and its workbook), else what to answer instead."""
    ask = _asked(request, session, services, choice)
    if isinstance(ask, Response):
        return ask
    try:
        group_by = ask.choice.grouping(RatingGroupBy, RatingGroupBy.DEPARTMENT)
    except InvalidInputError as err:
        return _refused(request, ask, err)
    return ask, group_by, rating_report(session, ask.period, group_by, ask.department)


@router.get("", response_model=None)
def reports_page(request: Request, session: SessionDep, services: ServicesDep, choice: ChoiceDep) -> Response:
    asked = _case_report(request, session, services, choice)
    if isinstance(asked, Response):
        return asked
    ask, group_by, report = asked
    return _page(
        request,
        "reports/cases.html",
        ask.ctx,
        report=report,
        choice=ask.choice,
        group_by=group_by,
        periods=PERIODS,
        groups=CASE_GROUPS,
        stages=[(stage, STAGE_LABELS[stage]) for stage in StageName],
        by_flow=[(group.value, FLOW_GROUP_LABELS[group]) for group in BY_FLOW],
        data=report.as_dict(),
    )


@router.get("/cases.xlsx", response_model=None)
def reports_xlsx(request: Request, session: SessionDep, services: ServicesDep, choice: ChoiceDep) -> Response:
    asked = _case_report(request, session, services, choice)
    if isinstance(asked, Response):
        return asked
    _ask, _group_by, report = asked
    disposition = f'attachment; filename="{workbook_name(report)}"'
    return Response(workbook_bytes(report), media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/ratings", response_model=None)
def ratings_page(request: Request, session: SessionDep, services: ServicesDep, choice: ChoiceDep) -> Response:
    asked = _rating_report(request, session, services, choice)
    if isinstance(asked, Response):
        return asked
    ask, group_by, report = asked
    return _page(
        request,
        "reports/ratings.html",
        ask.ctx,
        report=report,
        choice=ask.choice,
        group_by=group_by,
        periods=PERIODS,
        groups=RATING_GROUPS,
        levels=sorted(LEVELS.items(), reverse=True),
        data=report,
    )


@router.get("/ratings.xlsx", response_model=None)
def ratings_xlsx(request: Request, session: SessionDep, services: ServicesDep, choice: ChoiceDep) -> Response:
    asked = _rating_report(request, session, services, choice)
    if isinstance(asked, Response):
        return asked
    _ask, _group_by, report = asked
    disposition = f'attachment; filename="{ratings_workbook_name(report)}"'
    return Response(
        ratings_workbook_bytes(report), media_type=XLSX, headers={"Content-Disposition": disposition}
    )


@router.get("/assets/{name}", response_model=None)
def asset(name: str) -> Response:
    path = ASSETS.get(name)
    if path is None:
        return HTMLResponse("not found", status_code=404)
    return FileResponse(path, media_type="text/javascript")

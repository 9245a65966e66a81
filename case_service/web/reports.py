"""The manager's figures page (/web/reports): the case figures as tables and charts, and their xlsx.

Thin: the form's choices go to `reports.service.case_report`; the charts are drawn in the browser by the
vendored ECharts (static/vendor/echarts) from the figures embedded as a JSON data block, with no inline
script (these pages' CSP allows scripts from the case service itself only).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases.service import Context
from case_service.domain.errors import DomainError, ForbiddenError, InvalidInputError
from case_service.reports.access import report_scope
from case_service.reports.export import XLSX, workbook_bytes, workbook_name
from case_service.reports.figures import STAGE_LABELS, GroupBy, StageName
from case_service.reports.periods import PeriodKind, period_of
from case_service.reports.service import CaseReport, case_report
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
GROUPS = {
    GroupBy.DEPARTMENT: "部门 department",
    GroupBy.ITEM: "事项 item",
    GroupBy.CHANNEL: "渠道 channel",
    GroupBy.NONE: "不分组 none",
}


class Choice:
    """What the form asked for, as given (shown back in the form)."""

    def __init__(
        self,
        *,
        period: PeriodKind,
        date: dt.date | None,
        start: dt.date | None,
        end: dt.date | None,
        group_by: GroupBy,
        department: str | None,
    ) -> None:
        self.period, self.date, self.start, self.end = period, date, start, end
        self.group_by, self.department = group_by, department or None

    def query(self) -> str:
        values = {"period": self.period.value, "group_by": self.group_by.value}
        for name, value in (("date", self.date), ("from", self.start), ("to", self.end)):
            if value is not None:
                values[name] = value.isoformat()
        if self.department:
            values["department"] = self.department
        return urlencode(values)


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
    group_by: Annotated[GroupBy, Query()] = GroupBy.DEPARTMENT,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Choice | InvalidInputError:
    """The form's choice; a date that is not one comes back as the error to show (the page says so)."""
    try:
        days = _day(date, "日期 date"), _day(start, "区间起 from"), _day(end, "区间止 to")
    except InvalidInputError as err:
        return err
    return Choice(
        period=period, date=days[0], start=days[1], end=days[2], group_by=group_by, department=department
    )


ChoiceDep = Annotated[Choice | InvalidInputError, Depends(choice_of)]


def _report(
    request: Request, session: SessionDep, services: ServicesDep, choice: Choice | InvalidInputError
) -> Response | tuple[Context, CaseReport]:
    """The report asked for, with the signed-in context; else the answer to give (sign-in, refusal)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        if isinstance(choice, InvalidInputError):
            raise choice
        scope = report_scope(ctx.principal, choice.department)
        period = period_of(choice.period, choice.date or ctx.today, start=choice.start, end=choice.end)
    except ForbiddenError as err:
        answer = _page(
            request, "message.html", ctx, text=f"统计需要大厅管理员或部门负责人权限: {err.message}"
        )
        answer.status_code = 403
        return answer
    except DomainError as err:
        answer = _page(request, "message.html", ctx, text=f"查询条件有误 Bad choice: {err.message}")
        answer.status_code = 422
        return answer
    return ctx, case_report(session, ctx.calendar, period, choice.group_by, scope)


@router.get("", response_model=None)
def reports_page(request: Request, session: SessionDep, services: ServicesDep, choice: ChoiceDep) -> Response:
    found = _report(request, session, services, choice)
    if isinstance(found, Response):
        return found
    ctx, report = found
    return _page(
        request,
        "reports/cases.html",
        ctx,
        report=report,
        choice=choice,
        periods=PERIODS,
        groups=GROUPS,
        stages=[(stage, STAGE_LABELS[stage]) for stage in StageName],
        data=report.as_dict(),
    )


@router.get("/cases.xlsx", response_model=None)
def reports_xlsx(request: Request, session: SessionDep, services: ServicesDep, choice: ChoiceDep) -> Response:
    found = _report(request, session, services, choice)
    if isinstance(found, Response):
        return found
    _ctx, report = found
    disposition = f'attachment; filename="{workbook_name(report)}"'
    return Response(workbook_bytes(report), media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/assets/{name}", response_model=None)
def asset(name: str) -> Response:
    path = ASSETS.get(name)
    if path is None:
        return HTMLResponse("not found", status_code=404)
    return FileResponse(path, media_type="text/javascript")

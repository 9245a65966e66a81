"""Figures for the centre's managers and department heads (issue 20): JSON and xlsx."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from case_service.api.deps import ContextDep
from case_service.cases.service import Context
from case_service.reports.access import report_scope
from case_service.reports.export import (
    XLSX,
    ratings_workbook_bytes,
    ratings_workbook_name,
    workbook_bytes,
    workbook_name,
)
from case_service.reports.figures import GroupBy
from case_service.reports.periods import Period, PeriodKind, period_of
from case_service.reports.ratings import RatingGroupBy
from case_service.reports.service import case_report, rating_report

router = APIRouter(prefix="/reports", tags=["reports"])


@dataclass(frozen=True)
class Asked:
    ctx: Context
    period: Period
    department: str | None  # the scope: None is the whole centre


def asked(
    *,
    ctx: ContextDep,
    period: Annotated[PeriodKind, Query(description="day, week, month, year or range")] = PeriodKind.MONTH,
    date: Annotated[dt.date | None, Query(description="a day in the period (default: today)")] = None,
    start: Annotated[dt.date | None, Query(alias="from", description="a range's first day")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="a range's last day")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Asked:
    """A department head reads their department only; the centre's manager may narrow to one."""
    scope = report_scope(ctx.principal, department)
    return Asked(ctx, period_of(period, date or ctx.today, start=start, end=end), scope)


AskedDep = Annotated[Asked, Depends(asked)]


@router.get("/cases")
def case_figures(ask: AskedDep, group_by: Annotated[GroupBy, Query()] = GroupBy.DEPARTMENT) -> dict[str, Any]:
    """Received, accepted (deemed), not accepted, supplement notices, decided, on time and late, and
    working days per stage (mean, p90), per department, item or channel (definitions:
    case_service/reports/figures.py)."""
    return case_report(ask.ctx.session, ask.ctx.calendar, ask.period, group_by, ask.department).as_dict()


@router.get("/cases.xlsx", response_class=Response)
def case_figures_xlsx(ask: AskedDep, group_by: Annotated[GroupBy, Query()] = GroupBy.DEPARTMENT) -> Response:
    report = case_report(ask.ctx.session, ask.ctx.calendar, ask.period, group_by, ask.department)
    disposition = f'attachment; filename="{workbook_name(report)}"'
    return Response(workbook_bytes(report), media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/ratings")
def rating_figures(
    ask: AskedDep, group_by: Annotated[RatingGroupBy, Query()] = RatingGroupBy.DEPARTMENT
) -> dict[str, Any]:
    """好差评: ratings given in the period by level, good (4–5), bad (1–2), the satisfaction rate and
    the mean score, per department, item, window or clerk (case_service/reports/ratings.py)."""
    return rating_report(ask.ctx.session, ask.period, group_by, ask.department)


@router.get("/ratings.xlsx", response_class=Response)
def rating_figures_xlsx(
    ask: AskedDep, group_by: Annotated[RatingGroupBy, Query()] = RatingGroupBy.DEPARTMENT
) -> Response:
    report = rating_report(ask.ctx.session, ask.period, group_by, ask.department)
    disposition = f'attachment; filename="{ratings_workbook_name(report)}"'
    return Response(
        ratings_workbook_bytes(report), media_type=XLSX, headers={"Content-Disposition": disposition}
    )

"""Figures for the centre's managers and department heads (issue 20): JSON and xlsx."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from case_service.api.deps import ContextDep
from case_service.reports.access import report_scope
from case_service.reports.export import XLSX, workbook_bytes, workbook_name
from case_service.reports.figures import GroupBy
from case_service.reports.periods import PeriodKind, period_of
from case_service.reports.service import CaseReport, case_report

router = APIRouter(prefix="/reports", tags=["reports"])


def report_of(
    *,
    ctx: ContextDep,
    period: Annotated[PeriodKind, Query(description="day, week, month, year or range")] = PeriodKind.MONTH,
    date: Annotated[dt.date | None, Query(description="a day in the period (default: today)")] = None,
    start: Annotated[dt.date | None, Query(alias="from", description="a range's first day")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="a range's last day")] = None,
    group_by: Annotated[GroupBy, Query()] = GroupBy.DEPARTMENT,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> CaseReport:
    """A department head reads their department only; the centre's manager may narrow to one."""
    scope = report_scope(ctx.principal, department)
    chosen = period_of(period, date or ctx.today, start=start, end=end)
    return case_report(ctx.session, ctx.calendar, chosen, group_by, scope)


ReportDep = Annotated[CaseReport, Depends(report_of)]


@router.get("/cases")
def case_figures(report: ReportDep) -> dict[str, Any]:
    """Received, accepted (deemed), not accepted, supplement notices, decided, on time and late, and
    working days per stage (mean, p90), per department, item or channel (definitions:
    case_service/reports/figures.py)."""
    return report.as_dict()


@router.get("/cases.xlsx", response_class=Response)
def case_figures_xlsx(report: ReportDep) -> Response:
    disposition = f'attachment; filename="{workbook_name(report)}"'
    return Response(workbook_bytes(report), media_type=XLSX, headers={"Content-Disposition": disposition})

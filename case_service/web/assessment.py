"""The monthly 效能考核 report: the department ranking as a page (/web/reports/assessment) and as a PDF
(/web/reports/assessment.pdf), for the month chosen and the weights given (the centre's agreed weights,
`case.assessment_weights`, unless the form changes them).

Who may use them: the centre's manager and administrators (every department); a department head (a
manager or approver of a department) their department's line only. Others are refused (403).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.domain.errors import DomainError, ForbiddenError, InvalidInputError
from case_service.reports.access import report_scope
from case_service.reports.assessment import LABELS, Indicator, check_weights, rank
from case_service.reports.assessment_data import department_figures
from case_service.reports.assessment_pdf import AssessmentReport, render_assessment, shown
from case_service.reports.periods import PeriodKind, period_of
from case_service.web.routes import _context, _login_redirect, _page

router = APIRouter(prefix="/web/reports", include_in_schema=False)
MAX_WEIGHT = 1000.0


@dataclass(frozen=True)
class Asked:
    month: str  # YYYY-MM
    weights: dict[Indicator, float]

    def query(self) -> str:
        values = {"month": self.month} | {f"w_{i.value}": f"{w:g}" for i, w in self.weights.items()}
        return urlencode(values)


def _weights(request: Request, defaults: dict[str, float]) -> dict[Indicator, float]:
    given = dict(defaults)
    for indicator in Indicator:
        raw = request.query_params.get(f"w_{indicator.value}")
        if raw is None or raw == "":
            continue
        try:
            value = float(raw)
        except ValueError as err:
            raise InvalidInputError(f"{LABELS[indicator]} 的权重 {raw[:12]!r} 不是数字") from err
        if not 0 <= value <= MAX_WEIGHT:
            raise InvalidInputError(f"{LABELS[indicator]} 的权重须在 0 到 {MAX_WEIGHT:g} 之间")
        given[indicator.value] = value
    return check_weights(given)


def _report(
    request: Request, session: SessionDep, services: ServicesDep, month: str | None
) -> Response | tuple[AssessmentReport, Asked]:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        scope = report_scope(ctx.principal)
        if month:
            try:
                anchor = dt.date.fromisoformat(f"{month}-01")
            except ValueError as err:
                raise InvalidInputError(f"月份 {month[:10]!r} 不是 YYYY-MM") from err
        else:  # the last whole month
            anchor = ctx.today.replace(day=1) - dt.timedelta(days=1)
        period = period_of(PeriodKind.MONTH, anchor)
        weights = _weights(request, services.settings.case.assessment_weights)
    except ForbiddenError as err:
        answer = _page(
            request, "message.html", ctx, text=f"效能考核需要大厅管理员或部门负责人权限: {err.message}"
        )
        answer.status_code = 403
        return answer
    except DomainError as err:
        answer = _page(request, "message.html", ctx, text=f"查询条件有误 Bad choice: {err.message}")
        answer.status_code = 422
        return answer
    ranked = rank(department_figures(session, period, scope), weights)
    report = AssessmentReport(period, scope, weights, ranked, services.settings.case.authority, ctx.today)
    return report, Asked(f"{period.start:%Y-%m}", weights)


@router.get("/assessment", response_model=None)
def assessment_page(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    made = _report(request, session, services, month)
    if isinstance(made, Response):
        return made
    report, asked = made
    ctx = _context(request, session, services)
    return _page(
        request,
        "reports/assessment.html",
        ctx,
        report=report,
        asked=asked,
        indicators=list(Indicator),
        labels=LABELS,
        shown=shown,
    )


@router.get("/assessment.pdf", response_model=None)
def assessment_pdf(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    made = _report(request, session, services, month)
    if isinstance(made, Response):
        return made
    report, asked = made
    name = f"assessment-{asked.month}.pdf"
    return Response(
        render_assessment(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

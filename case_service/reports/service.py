"""The case figures of a period: the repository's rows counted by `figures.compute`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from case_service.domain.calendar import WorkingCalendar
from case_service.reports import repository
from case_service.reports.figures import Figures, GroupBy, compute, trend
from case_service.reports.periods import Period
from case_service.reports.ratings import LEVELS, RatingGroupBy, rating_figures


@dataclass(frozen=True)
class CaseReport:
    period: Period
    group_by: GroupBy
    department: str | None  # the scope: None is the whole centre
    groups: list[Figures]
    total: Figures
    trend: list[dict[str, object]]

    def as_dict(self) -> dict[str, object]:
        return {
            "period": {
                "kind": self.period.kind.value,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "label": self.period.label,
            },
            "group_by": self.group_by.value,
            "department": self.department,
            "groups": [figures.as_dict() for figures in self.groups],
            "total": self.total.as_dict(),
            "trend": self.trend,
        }


def case_report(
    session: Session, calendar: WorkingCalendar, period: Period, group_by: GroupBy, department: str | None
) -> CaseReport:
    received = repository.received_rows(session, period, group_by, department)
    decided = repository.decided_rows(session, period, group_by, department)
    groups, total = compute(
        received,
        repository.accepted_rows(session, period, group_by, department),
        decided,
        calendar,
        repository.forwarded_rows(session, period, group_by, department),
        spans=repository.stage_span_rows(session, period, group_by, department),
    )
    series = trend(received, decided, period.start, period.end)
    return CaseReport(period, group_by, department, groups, total, series)


def rating_report(
    session: Session, period: Period, group_by: RatingGroupBy, department: str | None
) -> dict[str, Any]:
    groups, total = rating_figures(repository.rating_rows(session, period, group_by, department))
    return {
        "period": {
            "kind": period.kind.value,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
        },
        "group_by": group_by.value,
        "department": department,
        "levels": {str(level): name for level, name in sorted(LEVELS.items(), reverse=True)},
        "groups": [figures.as_dict() for figures in groups],
        "total": total.as_dict(),
    }

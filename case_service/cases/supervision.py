"""电子监察: at-risk and overdue open cases per department, from one indexed query over stage due dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case as when
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.storage.models import Case


@dataclass(frozen=True)
class DepartmentRisk:
    department: str
    at_risk: int
    overdue: int


@dataclass(frozen=True)
class Supervision:
    today: dt.date
    horizon: dt.date  # due on or before this day: at risk
    departments: list[DepartmentRisk]
    cases: list[Case]


def _open_due_by(horizon: dt.date, department: str | None) -> list[object]:
    # `is_open = true`, not `IS true`: only the equality matches the partial index's predicate
    # (SQLite compares the terms literally; PostgreSQL folds `= true` into the bare column).
    conditions: list[object] = [
        Case.is_open == true(),
        Case.stage_due_on.is_not(None),
        Case.stage_due_on <= horizon,
    ]
    if department:
        conditions.append(Case.department == department)
    return conditions


def summary(
    session: Session,
    calendar: WorkingCalendar,
    today: dt.date,
    *,
    department: str | None = None,
    limit: int = 50,
    warning_days: int = deadlines.WARNING_DAYS,
) -> Supervision:
    horizon = deadlines.warning_horizon(calendar, today, warning_days)
    conditions = _open_due_by(horizon, department)
    overdue = func.sum(when((Case.stage_due_on < today, 1), else_=0))
    rows = session.execute(
        select(Case.department, func.count(), overdue)
        .where(*conditions)  # type: ignore[arg-type]
        .group_by(Case.department)
        .order_by(Case.department)
    ).all()
    departments = [
        DepartmentRisk(department=row[0], at_risk=int(row[1]) - int(row[2] or 0), overdue=int(row[2] or 0))
        for row in rows
    ]
    cases = list(
        session.scalars(
            select(Case).where(*conditions).order_by(Case.stage_due_on, Case.id).limit(limit)  # type: ignore[arg-type]
        )
    )
    return Supervision(today, horizon, departments, cases)

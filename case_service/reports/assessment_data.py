"""The 效能考核 figures of a period per department: one grouped query per family (cases received, cases
decided, ratings, complaints, cards), counted into `assessment.DepartmentFigures`. A department scope is a
WHERE in every query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_service.reports.assessment import DepartmentFigures, trips
from case_service.reports.periods import Period
from case_service.reports.repository import _bounds
from case_service.storage.models import Case, Complaint, Evaluation, SupervisionCard


def _scoped(query: Any, column: Any, department: str | None) -> Any:
    return query.where(column == department) if department is not None else query


def department_figures(session: Session, period: Period, department: str | None) -> list[DepartmentFigures]:
    found: dict[str, DepartmentFigures] = {}

    def of(name: str) -> DepartmentFigures:
        return found.setdefault(name, DepartmentFigures(name))

    received = select(
        Case.department, func.count(), func.sum(when((Case.supplement_notice.is_not(None), 1), else_=0))
    ).where(Case.submitted_on >= period.start, Case.submitted_on <= period.end)
    for name, count, supplement in session.execute(
        _scoped(received, Case.department, department).group_by(Case.department)
    ):
        figures = of(name)
        figures.received, figures.supplement = int(count), int(supplement or 0)

    # Grouped by what a case's trips and timeliness depend on: a few hundred rows, however many cases.
    # Expressions with no bound parameters: PostgreSQL matches GROUP BY to SELECT by their text.
    on_time = Case.decided_on <= Case.decision_due_on  # NULL (no due date): not on time
    supplemented = Case.supplement_notice.is_not(None)
    decided = (
        select(Case.department, Case.channel, supplemented, Case.release_channel, on_time, func.count())
        .where(Case.decided_on >= period.start, Case.decided_on <= period.end)
        .group_by(Case.department, Case.channel, supplemented, Case.release_channel, on_time)
    )
    for name, channel, notice, release, in_time, count in session.execute(
        _scoped(decided, Case.department, department)
    ):
        figures = of(name)
        figures.decided += int(count)
        figures.on_time += int(count) if in_time else 0
        figures.trips += int(count) * trips(channel, bool(notice), release)

    start, end = _bounds(period)
    ratings = (
        select(Case.department, func.count(), func.sum(when((Evaluation.score >= 4, 1), else_=0)))
        .join(Case, Case.id == Evaluation.case_id)
        .where(Evaluation.created_at >= start, Evaluation.created_at < end)
    )
    for name, count, good in session.execute(
        _scoped(ratings, Case.department, department).group_by(Case.department)
    ):
        figures = of(name)
        figures.ratings, figures.good_ratings = int(count), int(good or 0)

    complaints = select(Complaint.department, func.count()).where(
        Complaint.topic.is_(None),  # about the hall itself: the hall's office, no department's
        Complaint.received_on >= period.start,
        Complaint.received_on <= period.end,
    )
    for name, count in session.execute(
        _scoped(complaints, Complaint.department, department).group_by(Complaint.department)
    ):
        of(name).complaints = int(count)

    cards = select(SupervisionCard.department, SupervisionCard.colour, func.count()).where(
        SupervisionCard.issued_on >= period.start, SupervisionCard.issued_on <= period.end
    )
    for name, colour, count in session.execute(
        _scoped(cards, SupervisionCard.department, department).group_by(
            SupervisionCard.department, SupervisionCard.colour
        )
    ):
        if colour == "red":
            of(name).red_cards = int(count)
        else:
            of(name).yellow_cards = int(count)
    return sorted(found.values(), key=lambda figures: figures.department)

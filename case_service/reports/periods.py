"""Report periods: a day, an ISO week (Monday to Sunday), a month, a year, or any range of days."""

from __future__ import annotations

import calendar as months
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from case_service.domain.errors import InvalidInputError

MAX_RANGE_DAYS = 3 * 366
FIRST_YEAR, LAST_YEAR = 1950, 2999  # days outside have no cases, and a week may run past year 9999


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: dt.date  # first day, included
    end: dt.date  # last day, included

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind is PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def period_of(
    kind: PeriodKind, anchor: dt.date, *, start: dt.date | None = None, end: dt.date | None = None
) -> Period:
    """The period of `kind` holding `anchor`; a range takes `start` and `end` (both included)."""
    for day in (anchor, start, end):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInputError(f"{day.isoformat()}: a day between {FIRST_YEAR} and {LAST_YEAR}, please")
    if kind is PeriodKind.DAY:
        return Period(kind, anchor, anchor)
    if kind is PeriodKind.WEEK:
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind is PeriodKind.MONTH:
        last = months.monthrange(anchor.year, anchor.month)[1]
        return Period(kind, anchor.replace(day=1), anchor.replace(day=last))
    if kind is PeriodKind.YEAR:
        return Period(kind, dt.date(anchor.year, 1, 1), dt.date(anchor.year, 12, 31))
    if start is None or end is None:
        raise InvalidInputError("a range needs its first and last day (from, to)")
    if end < start:
        raise InvalidInputError("a range ends on or after the day it starts")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInputError(f"a range covers at most {MAX_RANGE_DAYS} days")
    return Period(kind, start, end)

"""The hall's one calendar: the time in China, and working days with official holidays and swapped days.

Pure (no clock but `china_today`, no I/O): the case service's legal deadlines and the queue's follow-up
deadlines both count with it.

The State Council announces each year's holidays late in the year before; `chinesecalendar` ships them
(1.11 knows 2004-2026). An administrator enters a year's whole announcement (case_service's
domain.announcement) into the holiday table (`overrides`, which win over the package) and the year becomes
known (`announced_years`); a single day entered by hand changes that day only, never makes its year known.
For a date in a year neither source knows, the calendar falls back to "Monday-Friday are working days"
and every result computed that way is flagged `estimated`, so screens can warn that the deadline may
move once the year's holidays are published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SATURDAY = 5
# China has one time zone and no daylight saving: a fixed UTC+8 needs no time-zone database.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def china_day(moment: float) -> dt.date:
    """The date in China at `moment`, seconds since the epoch."""
    return dt.datetime.fromtimestamp(moment, CHINA_TZ).date()


@dataclass(frozen=True)
class WorkingDay:
    date: dt.date
    estimated: bool  # computed with the weekends-only fallback somewhere on the way


@dataclass(frozen=True)
class WorkingCalendar:
    """`holidays`: days off that fall on weekdays; `workdays`: swapped weekend working days."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    known_years: frozenset[int]
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)  # date -> is a working day
    announced_years: frozenset[int] = frozenset()  # years whose whole announcement was entered

    def knows(self, day: dt.date) -> bool:
        return day.year in self.known_years or day.year in self.announced_years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < SATURDAY

    def with_overrides(
        self, overrides: Mapping[dt.date, bool], announced_years: Iterable[int] = ()
    ) -> WorkingCalendar:
        return WorkingCalendar(
            self.holidays, self.workdays, self.known_years, dict(overrides), frozenset(announced_years)
        )

    def add_working_days(self, start: dt.date, count: int) -> WorkingDay:
        """The `count`-th working day after `start` (the start day itself is not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day, estimated = start, not self.knows(start)
        remaining = count
        while remaining:
            day += dt.timedelta(days=1)
            estimated = estimated or not self.knows(day)
            if self.is_working_day(day):
                remaining -= 1
        return WorkingDay(day, estimated)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many of the limit's days passed from start to end."""
        if end <= start:
            return -self.working_days_between(end, start) if end < start else 0
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def _package_data() -> tuple[frozenset[dt.date], frozenset[dt.date], frozenset[int]]:
    import chinese_calendar

    holidays = frozenset(day for day in chinese_calendar.holidays if day.weekday() < SATURDAY)
    workdays = frozenset(chinese_calendar.workdays)
    years = frozenset(day.year for day in chinese_calendar.holidays)
    return holidays, workdays, years


def china_calendar(overrides: Mapping[dt.date, bool] | None = None) -> WorkingCalendar:
    holidays, workdays, years = _package_data()
    return WorkingCalendar(holidays, workdays, years, dict(overrides or {}))


def weekend_only_calendar(overrides: Iterable[tuple[dt.date, bool]] = ()) -> WorkingCalendar:
    return WorkingCalendar(frozenset(), frozenset(), frozenset(), dict(overrides))

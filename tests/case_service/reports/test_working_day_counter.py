"""The report's working-day counter answers exactly as the one calendar, whatever order days are asked in."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from case_service.domain.calendar import china_calendar
from case_service.reports.figures import WorkingDayCounter

CAL = china_calendar()
DAYS = st.dates(min_value=dt.date(2024, 11, 1), max_value=dt.date(2027, 3, 1))  # 2027: weekends only


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(DAYS, DAYS), min_size=1, max_size=12))
def test_the_counter_is_the_calendar(pairs: list[tuple[dt.date, dt.date]]) -> None:
    counter = WorkingDayCounter(CAL)
    for start, end in pairs:
        assert counter.between(start, end) == CAL.working_days_between(start, end), (start, end)


def test_national_day_and_a_swapped_sunday() -> None:
    counter = WorkingDayCounter(CAL)
    assert counter.between(dt.date(2025, 9, 26), dt.date(2025, 10, 10)) == 5  # 28 Sep, 29, 30, 9 Oct, 10
    assert counter.between(dt.date(2025, 10, 10), dt.date(2025, 9, 26)) == -5
    assert counter.between(dt.date(2025, 10, 3), dt.date(2025, 10, 3)) == 0

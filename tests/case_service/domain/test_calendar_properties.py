from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from case_service.domain.calendar import china_calendar

CAL = china_calendar()
DAYS = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2028, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=DAYS, count=st.integers(min_value=0, max_value=60))
def test_adding_and_counting_working_days_agree(start: dt.date, count: int) -> None:
    result = CAL.add_working_days(start, count)
    assert CAL.working_days_between(start, result.date) == count
    if count:
        assert CAL.is_working_day(result.date)
        # No working day is skipped: the day before the result holds one working day fewer.
        assert CAL.working_days_between(start, result.date - dt.timedelta(days=1)) == count - 1
    assert result.estimated == any(
        not CAL.knows(start + dt.timedelta(days=offset)) for offset in range((result.date - start).days + 1)
    )


@settings(max_examples=200, deadline=None)
@given(start=DAYS, first=st.integers(0, 30), second=st.integers(0, 30))
def test_shifting_twice_is_shifting_once_by_the_sum(start: dt.date, first: int, second: int) -> None:
    once = CAL.add_working_days(start, first + second).date
    twice = CAL.add_working_days(CAL.add_working_days(start, first).date, second).date
    assert once == twice

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain.calendar import WorkingDay, china_calendar, weekend_only_calendar

D = dt.date


@pytest.fixture(scope="module")
def calendar():  # type: ignore[no-untyped-def]
    return china_calendar()


def test_national_day_2025_with_its_swapped_saturdays(calendar) -> None:  # type: ignore[no-untyped-def]
    assert calendar.is_working_day(D(2025, 9, 28))  # Sunday, worked
    assert calendar.is_working_day(D(2025, 10, 11))  # Saturday, worked
    assert not any(calendar.is_working_day(D(2025, 10, day)) for day in range(1, 9))
    # Friday 26 Sep + 5 working days: 28 Sep, 29, 30, 9 Oct, 10 Oct.
    assert calendar.add_working_days(D(2025, 9, 26), 5).date == D(2025, 10, 10)
    # + 6: Saturday 11 Oct is a working day.
    assert calendar.add_working_days(D(2025, 9, 26), 6).date == D(2025, 10, 11)
    assert calendar.working_days_between(D(2025, 9, 26), D(2025, 10, 11)) == 6


def test_known_years_are_not_estimated_and_unknown_years_fall_back_to_weekends(calendar) -> None:  # type: ignore[no-untyped-def]
    assert not calendar.add_working_days(D(2025, 9, 26), 20).estimated
    beyond = calendar.add_working_days(D(2026, 12, 24), 10)
    assert beyond.estimated
    # Weekends only in 2027: 25, 28, 29, 30, 31 Dec, 1 Jan (a Friday, not yet known as a holiday), 4..7 Jan.
    assert beyond.date == D(2027, 1, 7)


def test_an_administrator_entry_wins_but_only_the_whole_announcement_makes_the_year_known(calendar) -> None:  # type: ignore[no-untyped-def]
    one_day = calendar.with_overrides({D(2027, 1, 1): False})
    result = one_day.add_working_days(D(2026, 12, 24), 10)
    assert result.date == D(2027, 1, 8)
    assert result.estimated  # the Spring Festival of 2027 is not entered yet
    announced = calendar.with_overrides({D(2027, 1, 1): False}, announced_years=[2027])
    assert announced.add_working_days(D(2026, 12, 24), 10) == WorkingDay(D(2027, 1, 8), False)


def test_weekend_only_calendar_counts_mondays_to_fridays() -> None:
    calendar = weekend_only_calendar()
    assert calendar.add_working_days(D(2024, 1, 5), 1).date == D(2024, 1, 8)
    assert calendar.add_working_days(D(2024, 1, 5), 0).date == D(2024, 1, 5)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2024, 1, 5), -1)

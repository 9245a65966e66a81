"""Reading the State Council's holiday announcement: the 2025 and 2026 texts against chinesecalendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from case_service.domain.announcement import parse_announcement
from case_service.domain.errors import InvalidInputError

TEXTS = Path(__file__).parent / "announcements"


def _package_year(year: int) -> tuple[set[dt.date], set[dt.date]]:
    """chinesecalendar's named holidays and weekend working days of one year: the ground truth."""
    days = [dt.date(year, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    days = [day for day in days if day.year == year]
    holidays = {
        day
        for day in days
        if chinese_calendar.get_holiday_detail(day)[1] is not None and chinese_calendar.is_holiday(day)
    }
    workdays = {day for day in days if day.weekday() >= 5 and chinese_calendar.is_workday(day)}
    return holidays, workdays


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_published_announcement_gives_exactly_the_years_days(year: int) -> None:
    announcement = parse_announcement((TEXTS / f"{year}.txt").read_text(encoding="utf-8"))
    assert announcement.year == year
    holidays, workdays = _package_year(year)
    assert {day.day for day in announcement.holidays} == holidays
    assert {day.day for day in announcement.workdays} == workdays


def test_the_days_carry_their_holidays_names() -> None:
    announcement = parse_announcement((TEXTS / "2025.txt").read_text(encoding="utf-8"))
    names = {day.day: day.name for day in announcement.days}
    assert names[dt.date(2025, 1, 28)] == "春节" and names[dt.date(2025, 2, 8)] == "春节"
    assert names[dt.date(2025, 10, 8)] == "国庆节、中秋节"
    assert len(announcement.holidays) == 28 and len(announcement.workdays) == 5


def test_a_table_one_day_a_line() -> None:
    table = "2027-01-01 放假 元旦\n2027-02-06,上班,春节\n2027/02/11\t放假\n"
    announcement = parse_announcement(table)
    assert announcement.year == 2027
    assert [(day.day.isoformat(), day.is_working_day, day.name) for day in announcement.days] == [
        ("2027-01-01", False, "元旦"),
        ("2027-02-06", True, "春节"),
        ("2027-02-11", False, ""),
    ]


def test_what_cannot_be_right_is_refused_in_chinese() -> None:
    text = (TEXTS / "2025.txt").read_text(encoding="utf-8")
    with pytest.raises(InvalidInputError, match="与通知所写「共9天」不符"):
        parse_announcement(text.replace("共8天。1月26日", "共9天。1月26日"))
    with pytest.raises(InvalidInputError, match="不是周末"):
        parse_announcement(text.replace("1月26日（周日）", "1月27日（周一）"))
    with pytest.raises(InvalidInputError, match="没有找到年份"):
        parse_announcement(text.split("\n", 2)[2])
    assert parse_announcement(text.split("\n", 2)[2], year=2025).year == 2025
    with pytest.raises(InvalidInputError, match="第2行无法识别"):
        parse_announcement("2027-01-01 放假\n一月二日放假\n2027-01-03 放假")
    with pytest.raises(InvalidInputError, match="2027年02月30日 不存在|2027年2月30日 不存在"):
        parse_announcement("2027-02-30 放假\n2027-01-01 放假")
    with pytest.raises(InvalidInputError, match="公告内容为空"):
        parse_announcement("  ")

"""好差评 rules: the five rating levels, optional dimensions, what counts as bad, follow-up deadlines.

Pure: the working-day test is passed in (`is_workday`); `default_is_workday` uses chinesecalendar and falls
back to "Monday to Friday" for years it does not know yet, saying so through `calendar_known`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import IntEnum, StrEnum

from devices.protocol.queue import Dimension  # one list of dimensions for the wire and the rules


class RatingLevel(IntEnum):
    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASICALLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


LEVEL_LABELS_ZH = {
    RatingLevel.VERY_SATISFIED: "非常满意",
    RatingLevel.SATISFIED: "满意",
    RatingLevel.BASICALLY_SATISFIED: "基本满意",
    RatingLevel.DISSATISFIED: "不满意",
    RatingLevel.VERY_DISSATISFIED: "非常不满意",
}


DIMENSION_LABELS_ZH = {
    Dimension.ATTITUDE: "服务态度",
    Dimension.QUALITY: "服务质量",
    Dimension.EFFICIENCY: "办事效率",
    Dimension.INTEGRITY: "廉洁自律",
}


class RatingState(StrEnum):
    PENDING = "pending"
    RATED = "rated"
    TIMED_OUT = "timed_out"


def is_bad(level: RatingLevel) -> bool:
    """不满意 and 非常不满意 are bad ratings (差评): each opens a follow-up with a callback."""
    return level <= RatingLevel.DISSATISFIED


def calendar_known(day: date) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def default_is_workday(day: date) -> bool:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int, is_workday: Callable[[date], bool] = default_is_workday) -> date:
    """The date `days` working days after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current

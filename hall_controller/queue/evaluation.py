"""好差评 rules: the five rating levels, optional dimensions, what counts as bad, follow-up deadlines.

Pure. Follow-up deadlines count working days with the hall's one calendar (hall/calendar.py).
"""

from __future__ import annotations

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

"""好差评 figures: the ratings received in a period, by level, per department, item, window or clerk.

Pure over rows; the repository's query is `repository.rating_rows`. Levels are the evaluators'
five: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意. Good (好评) is 4–5, bad (差评) 1–2;
the satisfaction rate is good ÷ all, as the 好差评 system reports it. A rating counts on the day
it was given (the hall's time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from case_service.reports.figures import TOTAL_KEY, TOTAL_LABEL

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
GOOD, BAD = frozenset({4, 5}), frozenset({1, 2})
NOT_RECORDED = "—"


class RatingGroupBy(StrEnum):
    NONE = "none"
    DEPARTMENT = "department"
    ITEM = "item"
    WINDOW = "window"
    CLERK = "clerk"


@dataclass(frozen=True, slots=True)
class RatingRow:
    key: str
    label: str
    score: int


@dataclass
class RatingFigures:
    key: str
    label: str
    levels: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    @property
    def count(self) -> int:
        return sum(self.levels.values())

    @property
    def good(self) -> int:
        return sum(self.levels[level] for level in GOOD)

    @property
    def bad(self) -> int:
        return sum(self.levels[level] for level in BAD)

    @property
    def satisfaction_rate(self) -> float | None:
        return round(self.good / self.count, 4) if self.count else None

    @property
    def mean_score(self) -> float | None:
        return (
            round(sum(level * n for level, n in self.levels.items()) / self.count, 2) if self.count else None
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "levels": {str(level): self.levels[level] for level in sorted(LEVELS, reverse=True)},
            "good": self.good,
            "bad": self.bad,
            "satisfaction_rate": self.satisfaction_rate,
            "mean_score": self.mean_score,
        }


def named(group_by: RatingGroupBy, key: object, label: object) -> tuple[str, str]:
    """A group's key and label as shown; a rating without a window or clerk is grouped as not recorded."""
    if group_by is RatingGroupBy.NONE:
        return TOTAL_KEY, "全部 All"
    if key is None:
        return NOT_RECORDED, NOT_RECORDED
    if group_by is RatingGroupBy.WINDOW:
        return str(key), f"{key} 号窗口"
    return str(key), str(label)


def rating_figures(rows: Iterable[RatingRow]) -> tuple[list[RatingFigures], RatingFigures]:
    groups: dict[str, RatingFigures] = {}
    total = RatingFigures(TOTAL_KEY, TOTAL_LABEL)
    for row in rows:
        group = groups.setdefault(row.key, RatingFigures(row.key, row.label))
        for figures in (group, total):
            figures.levels[row.score] += 1
    return sorted(groups.values(), key=lambda figures: (figures.label, figures.key)), total

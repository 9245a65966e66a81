"""效能考核: the monthly ranking of departments on agreed indicators, with configurable weights. Pure.

Each indicator becomes a score in [0, 1], from the department's own figures (not relative to the others,
so a department's score does not move when another's does):

- on_time (按时办结率): cases decided on time ÷ cases decided in the month; the score is the rate;
- satisfaction (满意率): good ratings (4–5) ÷ ratings given in the month; the score is the rate;
- supplement (补正率): cases sent a supplement notice ÷ cases received in the month; score 1 − rate;
- trips (平均跑动次数): in-person trips per case decided in the month (`trips`); one trip or fewer
  scores 1, `MAX_TRIPS` or more 0, linear between;
- complaints (投诉): complaints received in the month per 100 cases received; each one per hundred costs
  `COMPLAINT_COST`;
- cards (红黄牌): yellow cards + 2 × red cards issued in the month per 100 cases received; each point per
  hundred costs `CARD_COST`.

The total is the weighted mean of the scores × 100. An indicator a department has no figures for (no case
decided, no rating) is left out and its weight shared by the others (the total says so). Departments
rank by total, highest first; equal totals share a rank (1, 1, 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from case_service.domain.errors import InvalidInputError

MAX_TRIPS = 3.0
COMPLAINT_COST = 0.2
CARD_COST = 0.1


class Indicator(StrEnum):
    ON_TIME = "on_time"
    SATISFACTION = "satisfaction"
    SUPPLEMENT = "supplement"
    TRIPS = "trips"
    COMPLAINTS = "complaints"
    CARDS = "cards"


LABELS = {
    Indicator.ON_TIME: "按时办结率",
    Indicator.SATISFACTION: "满意率",
    Indicator.SUPPLEMENT: "补正率",
    Indicator.TRIPS: "平均跑动次数",
    Indicator.COMPLAINTS: "投诉(每百件)",
    Indicator.CARDS: "红黄牌(每百件)",
}
DEFAULT_WEIGHTS: Mapping[str, float] = {
    Indicator.ON_TIME: 30.0,
    Indicator.SATISFACTION: 25.0,
    Indicator.SUPPLEMENT: 15.0,
    Indicator.TRIPS: 10.0,
    Indicator.COMPLAINTS: 10.0,
    Indicator.CARDS: 10.0,
}


def check_weights(weights: Mapping[str, float]) -> dict[Indicator, float]:
    """Weights for every indicator (missing ones are 0), none negative, not all 0."""
    unknown = set(weights) - set(Indicator)
    if unknown:
        raise InvalidInputError(f"unknown indicator(s): {', '.join(sorted(unknown))}")
    checked = {indicator: float(weights.get(indicator.value, 0.0)) for indicator in Indicator}
    if any(weight < 0 for weight in checked.values()):
        raise InvalidInputError("权重不能为负 weights must not be negative")
    if not any(checked.values()):
        raise InvalidInputError("权重不能全为 0 at least one weight must be above 0")
    return checked


def trips(channel: str, supplemented: bool, release_channel: str | None) -> int:
    """A case's trips in person: filing at the window or a kiosk of the hall (online: none), handing in
    the supplement (when a notice was sent), collecting the result at the window or a locker (mail: none)."""
    return (channel in ("window", "kiosk")) + supplemented + (release_channel in ("window", "locker"))


@dataclass
class DepartmentFigures:
    department: str
    received: int = 0
    supplement: int = 0
    decided: int = 0
    on_time: int = 0
    trips: int = 0  # over the cases decided
    ratings: int = 0
    good_ratings: int = 0
    complaints: int = 0
    yellow_cards: int = 0
    red_cards: int = 0

    def values(self) -> dict[Indicator, float | None]:
        """The indicators as shown (rates, trips per case, per-hundred counts); None: no figures."""
        per_hundred = 100.0 / self.received if self.received else None
        return {
            Indicator.ON_TIME: self.on_time / self.decided if self.decided else None,
            Indicator.SATISFACTION: self.good_ratings / self.ratings if self.ratings else None,
            Indicator.SUPPLEMENT: self.supplement / self.received if self.received else None,
            Indicator.TRIPS: self.trips / self.decided if self.decided else None,
            Indicator.COMPLAINTS: self.complaints * per_hundred if per_hundred is not None else None,
            Indicator.CARDS: (self.yellow_cards + 2 * self.red_cards) * per_hundred
            if per_hundred is not None
            else None,
        }


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def score(indicator: Indicator, value: float) -> float:
    if indicator in (Indicator.ON_TIME, Indicator.SATISFACTION):
        return _clamp(value)
    if indicator is Indicator.SUPPLEMENT:
        return _clamp(1 - value)
    if indicator is Indicator.TRIPS:
        return _clamp((MAX_TRIPS - value) / (MAX_TRIPS - 1))
    if indicator is Indicator.COMPLAINTS:
        return _clamp(1 - COMPLAINT_COST * value)
    return _clamp(1 - CARD_COST * value)


@dataclass
class Ranked:
    figures: DepartmentFigures
    values: dict[Indicator, float | None]
    scores: dict[Indicator, float | None]
    total: float | None  # None: no indicator had figures
    rank: int = 0
    left_out: list[Indicator] = field(default_factory=list)


def assess(figures: DepartmentFigures, weights: Mapping[Indicator, float]) -> Ranked:
    values = figures.values()
    scores = {
        indicator: score(indicator, value) if value is not None else None
        for indicator, value in values.items()
    }
    counted = {indicator: weights[indicator] for indicator, s in scores.items() if s is not None}
    weight = sum(counted.values())
    total = round(100 * sum(weights[i] * (scores[i] or 0.0) for i in counted) / weight, 2) if weight else None
    left_out = [i for i, s in scores.items() if s is None and weights[i] > 0]
    return Ranked(figures, values, scores, total, left_out=left_out)


def rank(departments: list[DepartmentFigures], weights: Mapping[Indicator, float]) -> list[Ranked]:
    """Every department assessed and ranked: highest total first, ties sharing a rank, no total last."""
    assessed = [assess(figures, weights) for figures in departments]
    assessed.sort(key=lambda r: (r.total is None, -(r.total or 0.0), r.figures.department))
    previous: float | None = None
    for position, ranked in enumerate(assessed, start=1):
        if ranked.total is None:
            ranked.rank = 0
            continue
        ranked.rank = assessed[position - 2].rank if position > 1 and ranked.total == previous else position
        previous = ranked.total
    return assessed

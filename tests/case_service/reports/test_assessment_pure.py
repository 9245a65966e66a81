"""效能考核 scoring and ranking: pure rules."""

from __future__ import annotations

import pytest

from case_service.domain.errors import InvalidInputError
from case_service.reports import assessment
from case_service.reports.assessment import DEFAULT_WEIGHTS, DepartmentFigures, Indicator, rank

Ind = Indicator


def weights(**given: float) -> dict[Indicator, float]:
    return assessment.check_weights(given or dict(DEFAULT_WEIGHTS))


def test_trips_in_person() -> None:
    assert assessment.trips("window", False, "window") == 2
    assert assessment.trips("kiosk", True, "locker") == 3
    assert assessment.trips("online", False, "mail") == 0
    assert assessment.trips("online", True, None) == 1  # not yet collected: what is known so far


def test_each_indicator_scores_between_zero_and_one() -> None:
    assert assessment.score(Ind.ON_TIME, 0.9) == 0.9
    assert assessment.score(Ind.SUPPLEMENT, 0.2) == pytest.approx(0.8)
    assert assessment.score(Ind.TRIPS, 1.0) == 1.0
    assert assessment.score(Ind.TRIPS, 0.4) == 1.0
    assert assessment.score(Ind.TRIPS, 2.0) == 0.5
    assert assessment.score(Ind.TRIPS, 4.0) == 0.0
    assert assessment.score(Ind.COMPLAINTS, 2.0) == pytest.approx(0.6)  # 2 per hundred
    assert assessment.score(Ind.COMPLAINTS, 9.0) == 0.0
    assert assessment.score(Ind.CARDS, 3.0) == pytest.approx(0.7)


def test_a_total_is_the_weighted_mean_and_an_indicator_without_figures_gives_its_weight_away() -> None:
    figures = DepartmentFigures(
        "州教育局", received=50, supplement=10, decided=40, on_time=36, trips=60, ratings=20, good_ratings=18,
        complaints=1, yellow_cards=2, red_cards=1,
    )  # fmt: skip
    ranked = assessment.assess(figures, weights())
    assert ranked.values[Ind.ON_TIME] == 0.9 and ranked.values[Ind.TRIPS] == 1.5
    assert ranked.values[Ind.COMPLAINTS] == 2.0 and ranked.values[Ind.CARDS] == 8.0
    # 30·0.9 + 25·0.9 + 15·0.8 + 10·0.75 + 10·0.6 + 10·0.2 = 77 (of 100)
    assert ranked.total == 77.0 and ranked.left_out == []
    unrated = assessment.assess(
        DepartmentFigures("州民政局", received=10, decided=10, on_time=10, trips=10), weights()
    )
    assert unrated.values[Ind.SATISFACTION] is None and unrated.left_out == [Ind.SATISFACTION]
    assert unrated.total == 100.0  # every counted indicator full; satisfaction's 25 shared out


def test_only_the_weighted_indicators_count() -> None:
    figures = DepartmentFigures("州教育局", received=10, supplement=5, decided=10, on_time=8)
    assert assessment.assess(figures, weights(on_time=1)).total == 80.0
    assert assessment.assess(figures, weights(on_time=1, supplement=1)).total == 65.0


def test_ranking_highest_first_ties_share_a_rank_and_no_figures_last() -> None:
    ranked = rank(
        [
            DepartmentFigures("乙", received=10, decided=10, on_time=5),
            DepartmentFigures("甲", received=10, decided=10, on_time=9),
            DepartmentFigures("丙", received=10, decided=10, on_time=9),
            DepartmentFigures("丁"),
            DepartmentFigures("戊", received=10, decided=10, on_time=1),
        ],
        weights(on_time=1),
    )
    assert [(r.figures.department, r.rank, r.total) for r in ranked] == [
        ("丙", 1, 90.0),
        ("甲", 1, 90.0),
        ("乙", 3, 50.0),
        ("戊", 4, 10.0),
        ("丁", 0, None),
    ]


def test_weights_are_checked() -> None:
    assert weights(on_time=2)[Ind.CARDS] == 0.0
    for bad, words in (
        ({"speed": 1.0}, "unknown"),
        ({"on_time": -1.0}, "negative"),
        ({"on_time": 0.0}, "above 0"),
    ):
        with pytest.raises(InvalidInputError, match=words):
            assessment.check_weights(bad)

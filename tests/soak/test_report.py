"""The soak report's arithmetic: percentiles, lost and doubled items, the goals."""

from __future__ import annotations

import math

from soak.report import SoakReport, Tally, percentile


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0], 0.99) == 3.0
    assert math.isnan(percentile([], 0.99))


def test_lost_counts_only_distinct_records() -> None:
    assert Tally(expected=10, recorded=10, duplicated=0).lost == 0
    # Eleven rows of which one is a double: one of the ten is missing.
    assert Tally(expected=10, recorded=11, duplicated=2).lost == 1


def test_goals_need_nothing_lost_nothing_doubled_and_one_trip() -> None:
    report = SoakReport(applicants=2, windows=1, kiosks=1, lockers=1, seconds=1.0)
    report.tallies = {"cases": Tally(2, 2, 0)}
    report.trips = [1, 1]
    assert report.goals_met()
    report.trips = [1, 2]
    assert not report.goals_met()
    report.trips = [1, 1]
    report.tallies["tickets"] = Tally(2, 3, 1)
    assert not report.goals_met() and report.duplicated == 1
    text = report.render()
    assert "NOT met" in text and "tickets" in text

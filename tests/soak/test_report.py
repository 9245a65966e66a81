"""The soak report's arithmetic: percentiles, lost and doubled items, the goals."""

from __future__ import annotations

import math

from soak.report import SoakReport, Tally, idle_tail_note, memory_curve, percentile


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


def test_memory_curve_reads_warm_up_then_slope() -> None:
    # 40 MiB of warm-up in the first quarter, then flat with a little noise: slope about 0.
    warm = [(float(t), 100_000 + t * 4_000) for t in range(0, 11)]
    flat = [(float(t), 140_000 + (t % 3) * 100) for t in range(11, 41)]
    curve = memory_curve(warm + flat)
    assert curve.start == 100_000 and curve.end == flat[-1][1]
    assert curve.warm_up == 10.0 and curve.after_warm_up == 140_000
    assert abs(curve.slope_kib_per_minute()) < 100
    # Growth without bound after the warm-up shows as a slope: 1 MiB a second is 60 MiB a minute.
    growing = memory_curve([(float(t), 100_000 + t * 1024) for t in range(0, 41)])
    assert math.isclose(growing.slope_kib_per_minute(), 60 * 1024)
    assert growing.peak == growing.end


def test_memory_curve_leaves_out_a_process_that_was_down() -> None:
    # A crashed process reads 0 until it is started again: not a sample.
    curve = memory_curve([(0.0, 100), (1.0, 0), (2.0, 120), (3.0, 130), (4.0, 140)])
    assert [kib for _at, kib in curve.samples] == [100, 120, 130, 140]
    assert math.isnan(memory_curve([(0.0, 100)]).slope_kib_per_minute())


def test_render_shows_the_curve() -> None:
    report = SoakReport(applicants=1, windows=1, kiosks=1, lockers=1, seconds=4.0)
    report.memory_kib = {"controller": (100 * 1024, 120 * 1024)}
    report.memory = {"controller": memory_curve([(float(t), (100 + t * 5) * 1024) for t in range(5)])}
    assert "after warm-up" in report.render() and "MiB/min" in report.render()


def test_the_idle_tail_note_reads_only_the_samples_after_the_day() -> None:
    # Growing 1 MiB a minute during the day, flat in the tail that starts at 120 s.
    samples = [(float(t), 100 * 1024 + t * 1024 // 60) for t in range(0, 120, 10)]
    samples += [(float(t), 102 * 1024) for t in range(120, 300, 10)]
    note = idle_tail_note("controller", samples, since=120.0)
    assert note == "idle tail of controller: 102.0 → 102.0 MiB, +0.00 MiB/min (18 samples)"

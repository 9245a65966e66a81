"""The per-source rate limit (hall_controller/throttle.py), pure: the caller passes the time."""

from __future__ import annotations

from hall_controller.throttle import Limit, Throttle


def test_a_source_gets_its_limit_per_window_and_then_waits() -> None:
    throttle = Throttle(Limit(3, 60.0))
    assert [throttle.take("a", 100.0 + i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.take("a", 110.0) == 50.0  # the first of the three leaves the window at 160
    assert throttle.take("b", 110.0) == 0.0  # another source is not held up
    assert throttle.take("a", 160.0) == 0.0  # a refusal is not counted: one slot came free


def test_the_oldest_sources_are_forgotten_beyond_the_bound() -> None:
    throttle = Throttle(Limit(1, 60.0), max_keys=2)
    assert throttle.take("a", 0.0) == 0.0
    assert throttle.take("b", 1.0) == 0.0
    assert throttle.take("c", 2.0) == 0.0  # "a" forgotten: memory stays bounded
    assert throttle.take("a", 3.0) == 0.0
    assert throttle.take("c", 4.0) > 0

"""The heap is frozen once the devices stop arriving, and again after a later wave settles."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hall_controller.heap import HeapSettler


def in_a_generation(thing: object) -> bool:
    """Whether the collector still walks `thing` (frozen objects are in none of its generations)."""
    return any(other is thing for generation in range(3) for other in gc.get_objects(generation))


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield None
    gc.unfreeze()


def test_frozen_once_the_devices_stop_arriving_and_again_after_a_new_wave(unfrozen: object) -> None:
    settler = HeapSettler(settle_seconds=5)
    gc.unfreeze()
    settler.observe(0, 0.0)
    assert not settler.settled.is_set()  # nothing announced yet: nothing to settle
    settler.observe(1500, 1.0)
    settler.observe(2000, 2.0)
    settler.observe(2000, 6.9)
    assert not settler.settled.is_set() and gc.get_freeze_count() == 0
    kept = [object() for _ in range(10)], {"record": [1, 2]}
    assert in_a_generation(kept)
    settler.observe(2000, 7.0)
    assert settler.settled.is_set() and gc.get_freeze_count() > 0
    assert not in_a_generation(kept)
    later = [[1], [2]]  # made after the freeze: walked by the collector until the next one
    settler.observe(2000, 60.0)
    assert in_a_generation(later)  # settled: not frozen again while nothing new arrives
    settler.observe(2048, 61.0)  # a bank of lockers plugged in
    assert not settler.settled.is_set()
    more = [[n] for n in range(100)]
    settler.observe(2048, 66.0)
    # Counts cannot tell: frozen objects other threads free meanwhile lower the frozen count.
    assert settler.settled.is_set() and not in_a_generation(more) and not in_a_generation(later)

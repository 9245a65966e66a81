"""Fixtures shared by the firmware_sim tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from firmware_sim.lockers.rig import LockerRig, start_rig


@pytest.fixture
def rig() -> Iterator[LockerRig]:
    """The demo's simulated locker bank (lock boards on a pty), with short pulses."""
    started = start_rig(pulse_seconds=0.05)
    yield started
    started.stop()

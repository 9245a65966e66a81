"""The short hall day: the soak of `make soak`, small, with a crash of every process kind in it.

Real Mosquitto, `hall case-service` and `hall controller` processes; every few seconds one of them is
killed (SIGKILL) and started again. Nothing may be lost or doubled, and every complete application
takes one trip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soak.day import DayPlan, run_day

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_short_day_with_crashes_loses_and_doubles_nothing(tmp_path: Path) -> None:
    plan = DayPlan(applicants=16, windows=3, kiosks=2, lockers=4, fault_every=5.0)
    report = run_day(plan, tmp_path / "soak")
    print(report.render())
    assert {fault.split()[0] for fault in report.faults} >= {"mosquitto", "case-service", "controller"}
    assert report.tallies["cases"].recorded == plan.applicants
    assert report.tallies["deliveries"].recorded == plan.applicants
    assert report.lost == 0 and report.duplicated == 0, report.render()
    assert report.max_trips <= 1
    assert set(report.memory_kib) >= {"mosquitto", "case-service", "controller"}

"""The short hall day: the soak of `make soak`, small, with every fault kind in it.

Real Mosquitto, `hall case-service` and `hall controller` processes; every few seconds one of them is
killed (SIGKILL) and started again, or the hall's link to the case service is blackholed for a few
seconds (soak/netcut.py). Nothing may be lost or doubled, every complete application takes one trip,
and after the cut the hall catches up within the stated time (soak.day.CATCH_UP_SECONDS).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soak.day import DayPlan, run_day

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_short_day_with_faults_loses_and_doubles_nothing(tmp_path: Path) -> None:
    plan = DayPlan(
        applicants=16,
        windows=3,
        kiosks=2,
        lockers=4,
        fault_every=3.0,
        arrival_seconds=1.0,
        cut_seconds=(1.5, 3.0),
    )
    report = run_day(plan, tmp_path / "soak")
    print(report.render())
    kinds = {fault.split(" (")[0] for fault in report.faults}
    assert kinds >= {"mosquitto crash", "case-service crash", "controller crash", "network cut"}
    assert not [fault for fault in report.faults if "NOT caught up" in fault], report.render()
    assert not report.failures, report.render()
    assert report.tallies["cases"].recorded == plan.applicants
    assert report.tallies["deliveries"].recorded == plan.applicants
    assert report.lost == 0 and report.duplicated == 0, report.render()
    assert report.max_trips <= 1
    assert set(report.memory_kib) >= {"mosquitto", "case-service", "controller"}

"""The short hall day: the soak of `make soak`, small, with every fault kind in it.

Real Mosquitto, `hall case-service` and `hall controller` processes. Every few seconds one of them is
killed (SIGKILL) and started again, or the hall's link to the case service is blackholed for a few
seconds (soak/netcut.py), or the kiosks' ticket printer runs out of paper. Nothing may be lost or
doubled, every complete application takes one trip, and after each fault the devices are right again
and the hall has caught up within the stated times (soak/faults.py).

Two days: one on the semaphore model of the locker bank, one on the real bank (the controller's
lockers extension, the gateway, the RS485 driver, simulated lock boards on a pty), where a lock board
also loses power in the middle of opening a door. Each reports every process's RSS through the day.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soak.day import DayPlan, run_day
from soak.report import SoakReport

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KINDS = ("printer out of paper", "mosquitto crash", "case-service crash", "controller crash", "network cut")


def check_day(plan: DayPlan, report: SoakReport, kinds: tuple[str, ...]) -> None:
    for kind in kinds:
        assert [fault for fault in report.faults if fault.startswith(kind)], (kind, report.render())
    # After each fault: devices online with no issue left, the backlog to the case service drained.
    assert report.unsettled == 0 and not report.failures, report.render()
    assert [fault for fault in report.faults if "controller showed paper-out" in fault], report.render()
    assert report.tallies["cases"].recorded == plan.applicants
    assert report.tallies["deliveries"].recorded == plan.applicants
    assert report.lost == 0 and report.duplicated == 0, report.render()
    assert report.max_trips <= 1
    assert set(report.memory_kib) >= {"mosquitto", "case-service", "controller"}
    # The memory curve was sampled through the day, not only at its ends (a process restarted by a
    # fault: its last instance, which may have started late in the day).
    assert len(report.memory["soak driver"].samples) >= 3
    for name in ("mosquitto", "case-service", "controller"):
        assert report.memory[name].samples and report.memory[name].end > 0, name


# The short day with faults (also the day the figures pages are read over: test_soak_day_pages.py).
SHORT_DAY = DayPlan(
    applicants=16,
    windows=3,
    kiosks=2,
    lockers=4,
    fault_every=1.5,
    arrival_seconds=1.5,
    cut_seconds=(1.0, 2.0),
    give_up_seconds=60.0,
    real_lockers=False,  # the semaphore model of the bank; the next test has the real one
    memory_every=2.0,
)


def test_a_short_day_with_faults_loses_and_doubles_nothing(tmp_path: Path) -> None:
    plan = SHORT_DAY
    report = run_day(plan, tmp_path / "soak")
    print(report.render())
    check_day(plan, report, KINDS)


def test_a_short_day_on_the_real_locker_bank(tmp_path: Path) -> None:
    plan = DayPlan(
        applicants=12,
        windows=3,
        kiosks=2,
        lockers=8,  # one lock board of 8
        fault_every=1.5,
        arrival_seconds=1.5,
        cut_seconds=(1.0, 2.0),
        give_up_seconds=60.0,
        real_lockers=True,
        memory_every=2.0,
    )
    report = run_day(plan, tmp_path / "soak")
    print(report.render())
    check_day(plan, report, ("locker board", *KINDS))
    pickups = report.tallies["locker pickups"]
    assert pickups.recorded == plan.applicants and pickups.duplicated == 0, report.render()

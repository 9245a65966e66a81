"""The short hall day: the soak of `make soak`, small, with every fault kind in it.

Real Mosquitto, `hall case-service` and `hall controller` processes. Every few seconds one of them is
killed (SIGKILL) and started again, or the hall's link to the case service is blackholed for a few
seconds (soak/netcut.py), or the kiosks' ticket printer runs out of paper. Nothing may be lost or
doubled, every complete application takes one trip, and after each fault the devices are right again
and the hall has caught up within the stated times (soak/faults.py). The lock boards' power loss
mid-open is in `make soak` (the real bank), not here.
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
        fault_every=1.5,
        arrival_seconds=1.5,
        cut_seconds=(1.0, 2.0),
        give_up_seconds=60.0,
        # The semaphore model of the bank: on a loaded box the real bank's day does not yet always
        # recover in the stated times (docs/deploy.md section 8); `make soak` runs the real one.
        real_lockers=False,
    )
    report = run_day(plan, tmp_path / "soak")
    print(report.render())
    kinds = (
        "printer out of paper",
        "mosquitto crash",
        "case-service crash",
        "controller crash",
        "network cut",
    )
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

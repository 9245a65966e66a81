"""The watchdog: a hung UI thread is noticed and the kiosk process starts afresh (same pid). The kiosk
processes talk to the running case service (`case_url`) as an enrolled kiosk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware_sim.simulator.bench import KioskBench
from firmware_sim.simulator.page import SimulatorPage
from hall.display import VirtualDisplay
from kiosk.watchdog import Watchdog, is_hung
from tests.fixtures.hall import hall_env
from tests.kiosk.conftest import write_kiosk_credential


@pytest.fixture
def simulator() -> Iterator[str]:
    """The hall simulator whose devices the kiosk's simulated ones are."""
    page = SimulatorPage(KioskBench())
    page.start()
    yield page.url
    page.stop()


def _kiosk_env(case_url: str, tmp_path: Path, simulator: str, **values: str) -> dict[str, str]:
    """`hall kiosk` as kiosk-01, enrolled at the running case service, on the hall simulator's devices."""
    write_kiosk_credential(case_url, tmp_path / "var", "kiosk-01")
    return hall_env(
        tmp_path / "var",
        kiosk__voice="off",
        case__public_url=case_url,
        kiosk__simulator_url=simulator,
        **values,
    )


def test_is_hung() -> None:
    assert not is_hung(last_beat=100.0, now=104.0, limit=5.0)
    assert is_hung(last_beat=100.0, now=105.5, limit=5.0)


def test_watchdog_restarts_only_when_beats_stop() -> None:
    beat = [time.monotonic()]
    restarted: list[float] = []
    dog = Watchdog(
        lambda: beat[0], limit=0.3, restart=lambda: restarted.append(time.monotonic()), interval=0.05
    )
    dog.start()
    try:
        for _ in range(10):  # beating: no restart
            beat[0] = time.monotonic()
            time.sleep(0.05)
        assert restarted == []
        deadline = time.monotonic() + 5
        while not restarted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(restarted) == 1
    finally:
        dog.stop()


@pytest.mark.slow
@pytest.mark.integration
def test_hung_kiosk_is_restarted(xvfb: VirtualDisplay, case_url: str, tmp_path: Path, simulator: str) -> None:
    env = _kiosk_env(case_url, tmp_path, simulator, kiosk__watchdog_seconds="3")
    env.update({"DISPLAY": xvfb.name, "KIOSK_TEST_HANG_SIGNAL": "1"})
    ready = tmp_path / "var" / "run" / "kiosk-01.ready"
    log = (tmp_path / "kiosk.log").open("w")
    kiosk = subprocess.Popen([sys.executable, "-m", "hall", "kiosk"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 90
        while not ready.exists() and time.monotonic() < deadline:
            assert kiosk.poll() is None, (tmp_path / "kiosk.log").read_text()[-2000:]
            time.sleep(0.1)
        first = ready.read_text()
        os.kill(kiosk.pid, signal.SIGUSR1)  # the UI thread now sleeps inside a callback
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if ready.exists() and ready.read_text() != first:
                break
            time.sleep(0.2)
        assert ready.exists() and ready.read_text() != first, "the kiosk did not come back"
        assert kiosk.poll() is None  # the same process, started afresh
        assert "restarting" in (tmp_path / "kiosk.log").read_text()
    finally:
        kiosk.terminate()
        kiosk.wait(30)
        log.close()


@pytest.mark.slow
@pytest.mark.integration
def test_sigterm_ends_the_kiosk_although_the_window_refuses_to_close(
    xvfb: VirtualDisplay, case_url: str, tmp_path: Path, simulator: str
) -> None:
    env = _kiosk_env(case_url, tmp_path, simulator)
    env["DISPLAY"] = xvfb.name
    ready = tmp_path / "var" / "run" / "kiosk-01.ready"
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "hall", "kiosk"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while not ready.exists() and time.monotonic() < deadline:
            assert kiosk.poll() is None
            time.sleep(0.1)
        assert ready.exists()
        kiosk.terminate()
        assert kiosk.wait(20) == 0
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()

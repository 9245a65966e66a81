"""`hall kiosk` as it runs in the hall (the real entry point, the real case service, the hall simulator's
card reader outside the process, an X server with no window manager): its log follows HALL_LOG_LEVEL and
is written once (no Kivy log file beside it), an expired card left on the reader is logged once, not at
every poll, and the window fills the screen. Prints (does not assert tightly) the idle CPU and memory."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from firmware_sim.simulator.bench import KioskBench
from firmware_sim.simulator.page import SimulatorPage
from hall.display import VirtualDisplay, start_virtual_display
from tests.fixtures.hall import hall_env
from tests.fixtures.procs import require_binary
from tests.kiosk.conftest import write_kiosk_credential

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@contextmanager
def kiosk_running(
    display: str, case_url: str, folder: Path, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], SimulatorPage, Path]]:
    """`hall kiosk` (kiosk-01, enrolled at the case service) until its ready file; its stderr in a file."""
    write_kiosk_credential(case_url, folder / "var", "kiosk-01")
    simulator = SimulatorPage(KioskBench())
    simulator.start()
    env = hall_env(
        folder / "var",
        kiosk__voice="off",
        kiosk__hall_link="sim",
        kiosk__simulator_url=simulator.url,
        case__public_url=case_url,
        **settings,
    )
    env["DISPLAY"] = display
    log_path = folder / "kiosk.log"
    ready = folder / "var" / "run" / "kiosk-01.ready"
    with log_path.open("wb") as log:
        kiosk = subprocess.Popen([sys.executable, "-m", "hall", "kiosk"], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 90
            while not ready.exists() and time.monotonic() < deadline:
                assert kiosk.poll() is None, log_path.read_text(errors="replace")[-3000:]
                time.sleep(0.1)
            assert ready.exists(), log_path.read_text(errors="replace")[-3000:]
            yield kiosk, simulator, log_path
        finally:
            kiosk.terminate()
            try:
                kiosk.wait(30)
            except subprocess.TimeoutExpired:
                kiosk.kill()
                kiosk.wait()
            simulator.stop()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_the_log_follows_hall_log_level_is_kept_once_and_an_expired_card_is_told_once(
    xvfb: VirtualDisplay, case_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """HALL_LOG_LEVEL=WARNING: nothing below WARNING in the kiosk's log, Kivy's included, and no Kivy
    log file under the data folder (a second copy). The expired sample card lies on the reader for 6 s
    (the reader is polled 5 times a second): its refusal is logged once. Then the idle figures."""
    with kiosk_running(xvfb.name, case_url, tmp_path, log_level="WARNING") as (kiosk, simulator, log_path):
        time.sleep(2)
        with httpx.Client(base_url=simulator.url) as page:
            assert page.post("/card", data={"person": "expired"}).status_code == 303
            time.sleep(6)
            assert page.post("/card/pull").status_code == 303
        time.sleep(1)
        # Idle at the attract screen: CPU and memory over 10 s (a figure for the report).
        before, start = _cpu_seconds(kiosk.pid), time.monotonic()
        time.sleep(10)
        cpu = (_cpu_seconds(kiosk.pid) - before) / (time.monotonic() - start)
        rss = _rss_mib(kiosk.pid)
    log = log_path.read_text(errors="replace")
    lines = [line for line in log.splitlines() if line.strip()]
    below = [line for line in lines if " INFO " in line or " DEBUG " in line or "[INFO" in line]
    assert below == [], below[:10]
    refused = [line for line in lines if "cannot start a session" in line]
    assert len(refused) == 1, refused
    kivy_files = [p for p in (tmp_path / "var").rglob("*") if p.is_file() and "logs" in p.parts]
    assert kivy_files == [], kivy_files
    with capsys.disabled():  # a figure, not a timed assertion
        print(f"\nkiosk idle at the attract screen: {cpu * 100:.1f} % of a core, RSS {rss:.0f} MiB")
    # Measured 28 % at load 3 (43 % before the scan loop went to 5 frames a second, 66 % before the
    # simulated camera kept its noisy frames): half a core is a regression; a loaded machine reads lower.
    assert cpu < 0.5 and rss < 660, (cpu, rss)


# the 84 % and 660 MB, loosely


def test_the_window_fills_a_screen_with_no_window_manager(case_url: str, tmp_path: Path) -> None:
    """HALL_KIOSK__FULLSCREEN on a bare X server (Xvfb, no window manager): the window covers the whole
    screen from its top left corner, as on the kiosk's glass."""
    require_binary("xdotool", "xdotool")
    display = start_virtual_display(1920, 1080)
    try:
        with kiosk_running(display.name, case_url, tmp_path, kiosk__fullscreen="true") as (kiosk, _sim, _log):
            env = {"DISPLAY": display.name, "PATH": "/usr/bin:/bin"}
            found = subprocess.run(
                ["xdotool", "search", "--pid", str(kiosk.pid)], env=env, capture_output=True, text=True
            )
            window = found.stdout.split()[-1]
            geometry = subprocess.run(
                ["xdotool", "getwindowgeometry", window], env=env, capture_output=True, text=True, check=True
            ).stdout
            screen = subprocess.run(
                ["xdotool", "getdisplaygeometry"], env=env, capture_output=True, text=True, check=True
            ).stdout.split()
    finally:
        display.stop()
    assert screen == ["1920", "1080"]
    assert "Position: 0,0" in geometry and "Geometry: 1920x1080" in geometry, geometry


def test_idle_with_the_firmware_sim_cameras(
    xvfb: VirtualDisplay, case_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The document camera and the QR scanner of devices/camera on firmware_sim's simulated cameras (in
    the kiosk's process, HALL_DEVICES__BACKEND=sim): idle at the attract screen for 10 s, the CPU and
    memory it takes (the issue's run: 84 % of a core, 660 MB)."""
    settings = {"kiosk__camera": "device", "kiosk__scanner": "device", "devices__backend": "sim"}
    with kiosk_running(xvfb.name, case_url, tmp_path, **settings) as (kiosk, _simulator, _log):
        time.sleep(3)
        before, start = _cpu_seconds(kiosk.pid), time.monotonic()
        time.sleep(10)
        cpu = (_cpu_seconds(kiosk.pid) - before) / (time.monotonic() - start)
        rss = _rss_mib(kiosk.pid)
    with capsys.disabled():  # a figure, not a timed assertion
        print(f"\nkiosk idle with the firmware_sim cameras: {cpu * 100:.1f} % of a core, RSS {rss:.0f} MiB")

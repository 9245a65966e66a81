"""Kiosk: cold start to the attract screen, card tap to greeting, capture to clean page, print to job done.

Runs the real Kivy app on a virtual display (Xvfb) with simulated devices and the in-memory case service,
so the figures are the kiosk's own (UI, flow, runner), not the network's; then once more with the document
camera of devices/camera on firmware_sim's desk scenes (devices/capture) and the printer on a private CUPS
with an IPP Everywhere printer (ippeveprinter), whose job is anchored by a one-line PDF on the same queue.
Cold start is measured against a bare Kivy window started the same way; the interactions against a plain
screen switch in the same run (event posted -> first frame whose state shows the result).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.core import Figure
from hall.display import start_virtual_display
from tools import KIOSK_DRIVE

BARE_KIVY = """
import os, sys, time
os.environ["KIVY_NO_ARGS"] = "1"; os.environ["KIVY_NO_CONSOLELOG"] = "1"
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
from kivy.core.window import Window
Window.size = (1920, 1080)
class Bare(App):
    def build(self):
        return Label(text="hello")
    def on_start(self):
        Clock.schedule_once(lambda dt: open(sys.argv[1], "w").write("up"), 0)
Bare().run()
"""


def _env(data_dir: Path, display: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HALL_")}
    env.update(
        {
            "DISPLAY": display,
            "HALL_DATA_DIR": str(data_dir),
            "HALL_KIOSK__VOICE": "off",
            "HALL_KIOSK__CASE_SERVICE": "sim",
            "KIVY_HOME": str(data_dir / "kivy"),
        }
    )
    (data_dir / "kivy").mkdir(parents=True, exist_ok=True)
    return env


def _until_file(command: list[str], env: dict[str, str], ready: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not ready.exists():
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError(f"{command[2:4]} did not come up")
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)


def _cold_start(display: str) -> tuple[float, float]:
    from firmware_sim.simulator.bench import KioskBench
    from firmware_sim.simulator.page import SimulatorPage

    kiosk, bare = [], []
    simulator = SimulatorPage(KioskBench())  # whose devices the kiosk's simulated ones are
    simulator.start()
    try:
        for _ in range(2):
            with tempfile.TemporaryDirectory() as folder:
                data = Path(folder)
                env = _env(data, display) | {"HALL_KIOSK__SIMULATOR_URL": simulator.url}
                ready = data / "run" / "kiosk-01.ready"
                kiosk.append(_until_file([sys.executable, "-m", "hall", "kiosk"], env, ready))
                script = data / "bare_kivy.py"  # Kivy looks for a .kv beside the App's source file
                script.write_text(BARE_KIVY)
                bare.append(
                    _until_file([sys.executable, str(script), str(data / "bare")], env, data / "bare")
                )
    finally:
        simulator.stop()
    return min(kiosk), min(bare)


def _interactions(display: str, extra: tuple[str, ...] = ()) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        command = [sys.executable, str(KIOSK_DRIVE), "--script", "timing", "--repetitions", "3"]
        command += ["--orientation", "portrait", "--out", str(data / "shots"), *extra]
        env = _env(data, display)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        if report["failed"]:
            raise RuntimeError(report["failed"])
        timings: dict[str, list[float]] = report["timings"]
        return timings


def _one_line_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    sheet.drawString(72, 720, "anchor")
    sheet.save()
    return buffer.getvalue()


def _with_devices(display: str) -> tuple[dict[str, list[float]], float]:
    """The same timing run with the document camera of devices/camera on firmware_sim's desk scenes and
    the printer on a private CUPS with an IPP Everywhere printer; and a one-line PDF on that queue."""
    from devices.printing.cups_backend import CupsPrinter
    from devices.printing.follow import Outcome, print_and_follow
    from devices.printing.model import Document
    from tests.fixtures.cups import running_cups_server, running_dbus, running_ipp_printer

    with (
        tempfile.TemporaryDirectory() as folder,
        running_cups_server() as server,
        running_dbus(Path(folder)) as bus,
        running_ipp_printer(server, bus) as ipp,
    ):
        extra: tuple[str, ...] = ("--camera", "device", "--cups-queue", ipp.queue)
        extra += ("--cups-host", server.host, "--cups-port", str(server.port))
        timings = _interactions(display, extra)
        printer = CupsPrinter(ipp.queue, host=server.host, port=server.port)
        lines = []
        for index in range(3):
            result = print_and_follow(printer, Document(_one_line_pdf(), f"anchor {index}"))
            if result.outcome is not Outcome.COMPLETED:
                raise RuntimeError(f"anchor print failed: {result}")
            lines.append(result.seconds)
    return timings, statistics.median(lines)


def run() -> list[Figure]:
    display = start_virtual_display(1920, 1920)
    try:
        kiosk_start, bare_start = _cold_start(display.name)
        timings = _interactions(display.name)
        device_timings, one_line = _with_devices(display.name)
    finally:
        display.stop()
    anchor = statistics.median(timings["screen switch (anchor)"])
    figures = [
        Figure(
            "cold start to attract screen", kiosk_start, "s", "bare Kivy window", bare_start, "< 5 s", "lower"
        )
    ]
    for name, goal in (
        ("card tap to greeting", "< 1 s"),
        ("capture to clean page on screen", "< 2 s"),
        ("print request to job done", "< 3 s"),
    ):
        figures.append(
            Figure(
                f"{name} (median)",
                statistics.median(timings[name]),
                "s",
                "screen switch",
                anchor,
                goal,
                "lower",
            )
        )
    device_anchor = statistics.median(device_timings["screen switch (anchor)"])
    figures.append(
        Figure(
            "capture to clean page on screen, document camera on desk scenes (median)",
            statistics.median(device_timings["capture to clean page on screen"]),
            "s",
            "screen switch",
            device_anchor,
            "< 2 s",
            "lower",
        )
    )
    figures.append(
        Figure(
            "print request to job done, CUPS ippeveprinter (median)",
            statistics.median(device_timings["print request to job done"]),
            "s",
            "one-line PDF, same queue",
            one_line,
            "< 3 s",
            "lower",
        )
    )
    return figures

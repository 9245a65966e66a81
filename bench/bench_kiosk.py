"""Kiosk: cold start to the attract screen, card tap to greeting, capture to clean page, print to job done.

Runs the real Kivy app on a virtual display (Xvfb) with simulated devices and the in-memory case service,
so the figures are the kiosk's own (UI, flow, runner), not the network's. Cold start is measured against a
bare Kivy window started the same way; the three interactions against a plain screen switch in the same
run (event posted -> first frame whose state shows the result).
"""

from __future__ import annotations

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
    kiosk, bare = [], []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder)
            env = _env(data, display)
            kiosk.append(
                _until_file([sys.executable, "-m", "hall", "kiosk"], env, data / "run" / "kiosk-01.ready")
            )
            script = data / "bare_kivy.py"  # Kivy looks for a .kv beside the App's source file
            script.write_text(BARE_KIVY)
            bare.append(_until_file([sys.executable, str(script), str(data / "bare")], env, data / "bare"))
    return min(kiosk), min(bare)


def _interactions(display: str) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        command = [sys.executable, "-m", "kiosk.drive", "--script", "timing", "--repetitions", "3"]
        command += ["--orientation", "portrait", "--out", str(data / "shots")]
        env = _env(data, display)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        if report["failed"]:
            raise RuntimeError(report["failed"])
        timings: dict[str, list[float]] = report["timings"]
        return timings


def run() -> list[Figure]:
    display = start_virtual_display(1920, 1920)
    try:
        kiosk_start, bare_start = _cold_start(display.name)
        timings = _interactions(display.name)
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
    return figures

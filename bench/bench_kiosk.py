"""Kiosk: cold start to the attract screen, card tap to greeting, capture to clean page, print to job done,
and card tapped to the submission receipt printed for a complete application.

Runs the real Kivy app on a virtual display (Xvfb) against a running case service (`hall case-service` on
SQLite, the kiosk enrolled) with the hall simulator's devices, touched as a person touches it (xdotool,
tools/kiosk_touch.py, the `timing` scenario of tools/kiosk_tour.py); then once more with the document camera
of devices/camera on firmware_sim's desk scenes (devices/capture) and the printer on a private CUPS with an
IPP Everywhere printer (ippeveprinter), whose job is anchored by a one-line PDF on the same queue.
Cold start is measured against a bare Kivy window started the same way; the touched moments against a plain
screen switch touched in the same run (the finger's release -> first frame whose state shows the result);
the whole application (card laid -> receipt printed, the finger's pauses included) against the finger's own
time in it.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.core import Figure
from hall.display import start_virtual_display

ROOT = Path(__file__).resolve().parents[1]
PERSON = "钱测速"  # the bench's applicant (the hall simulator makes their card)
DEVICE = "kiosk-01"

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


def _env(data_dir: Path, display: str, case_url: str) -> dict[str, str]:
    """A kiosk's environment: its own data folder, enrolled at the case service `case_url` as DEVICE."""
    from tests.kiosk.conftest import write_kiosk_credential

    env = {key: value for key, value in os.environ.items() if not key.startswith("HALL_")}
    env.update(
        {
            "DISPLAY": display,
            "HALL_DATA_DIR": str(data_dir),
            "HALL_KIOSK__VOICE": "off",
            "HALL_CASE__PUBLIC_URL": case_url,
            "KIVY_HOME": str(data_dir / "kivy"),
        }
    )
    (data_dir / "kivy").mkdir(parents=True, exist_ok=True)
    write_kiosk_credential(case_url, data_dir, DEVICE)
    return env


@contextmanager
def _case_service() -> Iterator[tuple[str, str]]:
    """`hall case-service` on SQLite in a temporary folder, as in production; (its URL, and the name of an
    item an administrator gave no material list: a complete application is the form alone). The bench's
    applicant holds a sealed certificate (to print)."""
    from case_service.api.schemas import ItemIn
    from firmware_sim.idcard.cards import card_read_of
    from firmware_sim.simulator.bench import named_person
    from hall.net import free_port, http_ok
    from kiosk.adapters.http_case import HttpCaseService
    from kiosk.flow.model import IdCard
    from tests.fixtures.hall import hall_env
    from tests.fixtures.procs import ServiceProcess
    from tests.kiosk.conftest import kiosk_secret
    from tests.kiosk.staff import Staff, sealed_certificate

    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = hall_env(Path(folder) / "var", case__port=str(port), log_level="WARNING")
        command = [sys.executable, "-m", "hall", "case-service"]
        process = ServiceProcess("case-service", command, Path(folder) / "log", env=env)
        url = f"http://127.0.0.1:{port}"
        process.start(ready=lambda: http_ok(f"{url}/healthz"), timeout=60)
        staff = Staff(url)
        service = HttpCaseService(url, device_id="kiosk-bench", secret=kiosk_secret(url, "kiosk-bench"))
        try:
            code = next(i["code"] for i in staff.call("GET", "/items?q=公证机构", "admin")["items"])
            item = staff.call("GET", f"/items/{code}", "admin")
            body = {name: item[name] for name in ItemIn.model_fields if name in item}
            staff.call("PUT", f"/items/{code}", "admin", json={**body, "materials": []})
            person = named_person(PERSON)
            card = IdCard(person.name, person.id_number, read=card_read_of(person.name, person.id_number))
            sealed_certificate(service, staff, card)
            yield url, str(item["name"])
        finally:
            service.close()
            staff.close()
            process.stop()


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


def _cold_start(display: str, case_url: str) -> tuple[float, float]:
    from firmware_sim.simulator.bench import KioskBench
    from firmware_sim.simulator.page import SimulatorPage

    kiosk, bare = [], []
    simulator = SimulatorPage(KioskBench())  # whose devices the kiosk's simulated ones are
    simulator.start()
    try:
        for _ in range(2):
            with tempfile.TemporaryDirectory() as folder:
                data = Path(folder)
                env = _env(data, display, case_url) | {"HALL_KIOSK__SIMULATOR_URL": simulator.url}
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


def _interactions(
    display: str, case_url: str, complete: str, extra: dict[str, str] | None = None
) -> dict[str, list[float]]:
    """The `timing` scenario touched three times over (tools/kiosk_tour.py), the hall simulator's devices
    (or those `extra` settings choose) outside the kiosk's process: each moment's seconds."""
    from firmware_sim.simulator.bench import KioskBench
    from firmware_sim.simulator.page import SimulatorPage

    simulator = SimulatorPage(KioskBench())
    simulator.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder)
            env = _env(data, display, case_url) | (extra or {})
            env |= {
                "HALL_KIOSK__SIMULATOR_URL": simulator.url,
                "HALL_DEVICES__IDCARD__TIMEOUT_SECONDS": "0.5",
            }
            args = {"name": PERSON, "repetitions": 3, "complete": complete}
            command = [sys.executable, "-m", "tools.kiosk_touch", "--scenario", "timing", "--args"]
            command += [json.dumps(args, ensure_ascii=False), "--case-service-url", case_url]
            command += ["--device-id", DEVICE, "--orientation", "portrait", "--out", str(data / "shots")]
            done = subprocess.run(
                command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
            )
    finally:
        simulator.stop()
    if not done.stdout.strip():
        raise RuntimeError(f"the touched kiosk gave no report: {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["failed"]:
        raise RuntimeError(report["failed"])
    timings: dict[str, list[float]] = report["notes"]["timings"]
    return timings


def _one_line_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    sheet.drawString(72, 720, "anchor")
    sheet.save()
    return buffer.getvalue()


def _with_devices(display: str, case_url: str, complete: str) -> tuple[dict[str, list[float]], float]:
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
        extra = {
            "HALL_KIOSK__CAMERA": "device",
            "HALL_DEVICES__BACKEND": "sim",
            "HALL_KIOSK__PRINTER": "cups",
        }
        extra |= {"HALL_KIOSK__PRINTER_QUEUE": ipp.queue, "HALL_KIOSK__CUPS_HOST": server.host}
        extra |= {"HALL_KIOSK__CUPS_PORT": str(server.port)}
        timings = _interactions(display, case_url, complete, extra)
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
        with _case_service() as (case_url, complete):
            kiosk_start, bare_start = _cold_start(display.name, case_url)
            timings = _interactions(display.name, case_url, complete)
            device_timings, one_line = _with_devices(display.name, case_url, complete)
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
    figures.append(
        Figure(
            "card tapped to submission receipt printed, complete application, touched (median)",
            statistics.median(timings["card tapped to submission receipt printed"]),
            "s",
            "the finger's own time in it",
            statistics.median(timings["the finger's own time in it"]),
            "",
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

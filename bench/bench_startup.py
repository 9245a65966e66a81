"""Start-up: the `hall` CLI and a whole demo hall (no kiosk window), against a bare Python start."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.core import Figure, time_call
from hall.net import free_port, http_ok


def _bare_python() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def _hall_help() -> None:
    subprocess.run([sys.executable, "-m", "hall", "--help"], check=True, stdout=subprocess.DEVNULL)


def _demo_start_seconds() -> float:
    with tempfile.TemporaryDirectory() as folder:
        case_port, controller_port, broker_port = free_port(), free_port(), free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("HALL_")}
        env.update(
            {
                "HALL_DATA_DIR": str(Path(folder) / "var"),
                "HALL_CASE__PORT": str(case_port),
                "HALL_CONTROLLER__PORT": str(controller_port),
                "HALL_EMBEDDED_BROKER_PORT": str(broker_port),
            }
        )
        started = time.perf_counter()
        demo = subprocess.Popen(
            [sys.executable, "-m", "hall", "demo", "--no-kiosk"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not (
                http_ok(f"http://127.0.0.1:{case_port}/healthz")
                and http_ok(f"http://127.0.0.1:{controller_port}/healthz")
            ):
                if demo.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("demo did not start")
                time.sleep(0.05)
            return time.perf_counter() - started
        finally:
            demo.terminate()
            demo.wait(60)


def run() -> list[Figure]:
    bare = time_call(_bare_python, repeat=5)
    cli = time_call(_hall_help, repeat=5)
    demo = min(_demo_start_seconds() for _ in range(2))
    return [
        Figure("hall --help", cli, "s", "python -c pass", bare, better="lower"),
        Figure(
            "demo up, pages answer (no kiosk)", demo, "s", "python -c pass", bare, "< 10 s", better="lower"
        ),
    ]

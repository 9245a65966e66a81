"""`hall demo` brings up a whole hall on the embedded defaults, its pages answer, and it stops cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from hall.display import VirtualDisplay
from hall.net import free_port, http_ok, port_is_free
from tests.fixtures.hall import hall_env

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _devices(controller_url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{controller_url}/api/v1/devices", timeout=2) as response:
        body: list[dict[str, object]] = json.load(response)
        return body


def test_demo_runs_a_whole_hall_and_stops_on_ctrl_c(tmp_path: Path, xvfb: VirtualDisplay) -> None:
    ports = {"case__port": free_port(), "controller__port": free_port(), "embedded_broker_port": free_port()}
    env = hall_env(tmp_path / "var", **{key: str(value) for key, value in ports.items()})
    env["DISPLAY"] = xvfb.name
    started = time.monotonic()
    demo = subprocess.Popen(
        [sys.executable, "-m", "hall", "demo"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    case_url = f"http://127.0.0.1:{ports['case__port']}"
    controller_url = f"http://127.0.0.1:{ports['controller__port']}"
    try:
        deadline = time.monotonic() + 90
        kiosk_ready = tmp_path / "var" / "run" / "kiosk-01.ready"
        while not (
            http_ok(f"{case_url}/healthz") and http_ok(f"{controller_url}/healthz") and kiosk_ready.exists()
        ):
            assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
            assert time.monotonic() < deadline, "demo did not come up"
            time.sleep(0.2)
        # Every simulated device announces itself to the controller through the embedded broker.
        deadline = time.monotonic() + 30
        while True:
            online = [device for device in _devices(controller_url) if device["status"] == "online"]
            if len(online) >= 7 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(online) >= 7, _devices(controller_url)
        assert http_ok(f"{case_url}/")
        assert http_ok(f"{controller_url}/")
        # The demo staff accounts it prints really sign in to the staff pages.
        signed_in = httpx.post(
            f"{case_url}/web/login", data={"username": "clerk1", "password": "demo-clerk1"}, timeout=10
        )
        assert signed_in.status_code == 303 and "token" in " ".join(signed_in.headers.get_list("set-cookie"))
        print(f"demo up with devices online in {time.monotonic() - started:.1f} s")
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert f"{case_url}/" in output and f"{controller_url}/" in output
    assert "demo hall stopped." in output
    assert "clerk1 / demo-clerk1" in output
    assert "Traceback" not in output
    for port in ports.values():
        assert port_is_free("127.0.0.1", port), f"port {port} still taken after the demo stopped"
    assert (tmp_path / "var" / "case_service.db").exists()
    assert "on the virtual display" not in output  # DISPLAY was set: the kiosk used it
    assert "Base: Start application main loop" in (tmp_path / "var" / "logs" / "kiosk.log").read_text()

"""`hall demo` brings up a whole hall on the embedded defaults, its pages answer, and it stops cleanly."""

from __future__ import annotations

import json
import os
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
from tests.fixtures.mqtt import Broker
from tests.fixtures.procs import require_binary

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
        # The simulated locker doors' page (development mode), at the address the demo prints.
        doors = (tmp_path / "var" / "run" / "locker-doors.url").read_text("utf-8").strip()
        assert "演示智能柜柜门" in httpx.get(doors, timeout=10).text
        # The hall simulator (development mode): a card tapped on its page signs in at the demo's kiosk,
        # whose card reader is the simulator's, outside the kiosk's process.
        simulator = (tmp_path / "var" / "run" / "hall-simulator.url").read_text("utf-8").strip()
        assert "大厅模拟器" in httpx.get(simulator, timeout=10).text
        assert httpx.post(f"{simulator}card", data={"person": "adult"}, timeout=10).status_code == 303
        service_log = tmp_path / "var" / "logs" / "case-service.log"
        deadline = time.monotonic() + 30
        while "applicant signed in by ID card at kiosk-01" not in service_log.read_text("utf-8"):
            assert time.monotonic() < deadline, "the card tapped on the simulator page did not sign in"
            time.sleep(0.2)
        _revoke_a_demo_device(tmp_path / "var", case_url, ports["embedded_broker_port"])
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert f"{case_url}/" in output and f"{controller_url}/" in output
    assert "demo hall stopped." in output
    assert "clerk1 / demo-clerk1" in output
    assert f"simulated locker doors      {doors}" in output
    assert f"hall simulator (kiosk)      {simulator}" in output
    assert "Traceback" not in output
    for port in ports.values():
        assert port_is_free("127.0.0.1", port), f"port {port} still taken after the demo stopped"
    assert (tmp_path / "var" / "case_service.db").exists()
    assert "on the virtual display" not in output  # DISPLAY was set: the kiosk used it
    assert "Base: Start application main loop" in (tmp_path / "var" / "logs" / "kiosk.log").read_text()


# What a terminal's Ctrl-C does: SIGINT to every process of the foreground process group.
HALL = str(Path(sys.executable).with_name("hall"))
ALARMING = (
    "Traceback",
    "ERROR",
    "lost the broker",
    "reconnecting",
    "Invalid protocol",
    "Invalid connection",
    "XIO",
    "exit code",
    "exit -15",
)


def _ctrl_c_in_a_terminal(tmp_path: Path, env: dict[str, str], *args: str) -> str:
    """Starts `hall demo` as a terminal does (its own process group), presses Ctrl-C once it is up."""
    demo = subprocess.Popen(
        [HALL, "demo", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert demo.stdout is not None
    banner = []
    try:
        for line in demo.stdout:
            banner.append(line)
            if "Ctrl-C stops everything." in line:
                break
        assert demo.poll() is None, "".join(banner)
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    output = "".join(banner) + rest
    assert demo.returncode == 0, output
    assert "demo hall stopped." in output
    for alarming in (*ALARMING, "WARNING"):
        assert alarming not in output, output
    for log in sorted((tmp_path / "var" / "logs").glob("*.log")):
        text = log.read_text(errors="replace")
        for alarming in ALARMING:
            assert alarming not in text, f"{log.name}: {alarming!r} in\n{text[-3000:]}"
    return output


def test_ctrl_c_stops_the_embedded_hall_quietly(tmp_path: Path) -> None:
    ports = {"case__port": free_port(), "controller__port": free_port(), "embedded_broker_port": free_port()}
    env = hall_env(tmp_path / "var", **{key: str(value) for key, value in ports.items()})
    _ctrl_c_in_a_terminal(tmp_path, env, "--no-kiosk")
    for port in ports.values():
        assert port_is_free("127.0.0.1", port)


def test_ctrl_c_leaves_the_kiosk_its_virtual_display_until_it_stopped(
    tmp_path: Path, mosquitto: Broker
) -> None:
    require_binary("Xvfb", "xvfb")
    url = f"mqtt://hall01:topsecret@127.0.0.1:{mosquitto.port}"  # README's form of a real broker's URL
    env = hall_env(
        tmp_path / "var",
        case__port=str(free_port()),
        controller__port=str(free_port()),
        mqtt_url=url,
        kiosk__device_id=f"kiosk-{os.getpid()}",
    )
    env.pop("DISPLAY", None)  # no screen: the demo starts Xvfb for the kiosk itself
    output = _ctrl_c_in_a_terminal(tmp_path, env)
    assert "on the virtual display" in output
    assert f"MQTT broker                 mqtt://hall01:***@127.0.0.1:{mosquitto.port}" in output
    assert "topsecret" not in output
    kiosk_log = (tmp_path / "var" / "logs" / "kiosk.log").read_text()
    assert "kiosk: asked to stop" in kiosk_log
    assert [line for line in kiosk_log.splitlines() if " WARNING " in line] == []


def _revoke_a_demo_device(data_dir: Path, case_url: str, broker_port: int) -> None:
    """The demo enrolled its devices as a hall would: each has its own 0600 credential file and signs in
    to the embedded broker with it; a stranger cannot. Revoked by the admin and the password file
    rewritten with hall_controller.mosquitto_acl, a device can no longer connect."""
    from devices.protocol.credentials import load_credential
    from tests.fixtures.devices import admin_headers
    from tests.fixtures.mqtt import login_accepted

    files = sorted((data_dir / "credentials").glob("*.json"))
    assert {path.stem for path in files} >= {
        "controller-hall-01",
        "kiosk-01",
        "locker-bank-01",
        "main-display",
    }
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)
    led = load_credential(data_dir / "credentials" / "window-01-led.json").mqtt
    assert not login_accepted(broker_port, None, None)
    assert login_accepted(broker_port, led.username, led.password)
    with httpx.Client(base_url=case_url, timeout=10) as client:
        admin = admin_headers(client)
        assert client.post("/api/v1/admin/devices/window-01-led/revoke", headers=admin).status_code == 200
    # The password file rewritten as a timer on the controller's host would: as the controller itself.
    controller = ["--credential", str(data_dir / "credentials" / "controller-hall-01.json")]
    out = ["--out", str(data_dir / "broker"), "--case-service", case_url, *controller]
    rewrite = subprocess.run(
        [sys.executable, "-m", "hall_controller.mosquitto_acl", "--hall", "hall-01", *out],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rewrite.returncode == 0, rewrite.stderr
    assert not login_accepted(broker_port, led.username, led.password)
    display = load_credential(data_dir / "credentials" / "main-display.json").mqtt
    assert login_accepted(broker_port, display.username, display.password)

"""`hall enrol` on a device: the admin's one-time code in, the device's own 0600 credential file out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devices.protocol.credentials import load_credential
from tests.fixtures.devices import admin_headers, enrolment_code
from tests.fixtures.hall import HallProcess, hall_env

pytestmark = pytest.mark.integration


def test_a_kiosk_enrols_with_its_code_once(
    start_hall_process: Callable[..., HallProcess], tmp_path: Path
) -> None:
    service = start_hall_process("case-service")
    assert service.url is not None
    with httpx.Client(base_url=service.url, timeout=10) as client:
        code = enrolment_code(client, admin_headers(client), "kiosk-07", "kiosk")
    kiosk_data = tmp_path / "kiosk-machine"
    env = hall_env(kiosk_data, case__public_url=service.url)

    def enrol() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "hall", "enrol", "--device-id", "kiosk-07", "--code", code]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    done = enrol()
    assert done.returncode == 0, done.stderr
    path = kiosk_data / "credentials" / "kiosk-07.json"
    assert "kiosk-07 enrolled as a kiosk of hall-01" in done.stdout and code not in done.stdout
    assert path.stat().st_mode & 0o777 == 0o600
    credential = load_credential(path)
    assert credential.secret not in done.stdout + done.stderr
    token = httpx.post(
        f"{service.url}/api/v1/auth/device-token",
        json={"device_id": "kiosk-07", "secret": credential.secret},
        timeout=10,
    )
    assert token.status_code == 200 and token.json()["roles"] == ["kiosk"]

    again = enrol()  # the code is used up: one clear line, and the credential file is kept
    assert again.returncode == 2 and again.stderr.startswith(
        "hall: error: enrolment of kiosk-07 refused: HTTP 401"
    )
    assert load_credential(path) == credential

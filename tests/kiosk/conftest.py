"""A case service process shared by the kiosk's integration tests (start-up is the slow part)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devices.protocol.credentials import DeviceCredential, credential_path, save_credential
from hall.net import free_port, http_ok
from tests.fixtures.devices import admin_headers, enrol
from tests.fixtures.hall import hall_env
from tests.fixtures.procs import ServiceProcess

_SECRETS: dict[tuple[str, str], str] = {}
# Where each case service of these tests keeps its data (its development SMS sink is read from there).
CASE_DATA: dict[str, Path] = {}


@pytest.fixture(scope="session")
def case_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`hall case-service` on SQLite, as in production; each test uses its own applicant."""
    folder = tmp_path_factory.mktemp("case")
    port = free_port()
    env = hall_env(folder / "var", case__port=str(port))
    process = ServiceProcess(
        "case-service", [sys.executable, "-m", "hall", "case-service"], folder / "log", env=env
    )
    process.start(ready=lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), timeout=60)
    url = f"http://127.0.0.1:{port}"
    CASE_DATA[url] = folder / "var"
    yield url
    process.stop()


def kiosk_secret(case_url: str, device_id: str) -> str:
    """The kiosk's own secret, enrolled once per case service (registered by the admin, code exchanged)."""
    if (case_url, device_id) not in _SECRETS:
        with httpx.Client(base_url=case_url, timeout=10.0) as client:
            _SECRETS[case_url, device_id] = enrol(client, admin_headers(client), device_id, "kiosk")
    return _SECRETS[case_url, device_id]


def write_kiosk_credential(case_url: str, data_dir: Path, device_id: str) -> None:
    """The enrolled kiosk's credential file in a kiosk process's data folder, as on the kiosk machine."""
    secret = kiosk_secret(case_url, device_id)
    credential = DeviceCredential(device_id=device_id, kind="kiosk", hall_id="hall-01", secret=secret)
    save_credential(credential_path(data_dir / "credentials", device_id), credential)

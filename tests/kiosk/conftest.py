"""A case service process shared by the kiosk's integration tests (start-up is the slow part)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hall.net import free_port, http_ok
from tests.fixtures.hall import hall_env
from tests.fixtures.procs import ServiceProcess

DEV_DEVICE_SECRET = "dev-only-device-secret"
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

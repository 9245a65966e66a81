"""Issue 15, secrets per process and fail closed: each systemd unit reads its own environment file and
pins production mode; a kiosk's or a gateway's file holds none of the hall's master secrets, and the
process refuses to start if given one."""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.hall import hall_env

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = {
    "hall-case-service.service": "case-service",
    "hall-case-service@.service": "case-service",
    "hall-controller.service": "controller",
    "hall-devices.service": "devices",
    "hall-kiosk.service": "kiosk",
}
MASTER_SECRETS = {"HALL_SECRET_KEY", "HALL_PII_KEY", "HALL_DEVICE_SECRET", "HALL_CONTROLLER__STAFF_TOKEN_KEY"}


def _env_file(process: str) -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env" / f"{process}.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


@pytest.mark.parametrize(("unit", "process"), UNITS.items())
def test_each_unit_has_its_own_environment_and_pins_production(unit: str, process: str) -> None:
    text = (DEPLOY / "systemd" / unit).read_text()
    assert re.findall(r"^EnvironmentFile=(.*)$", text, re.M) == [f"/etc/hall/{process}.env"]
    [start] = re.findall(r"^ExecStart=(.*)$", text, re.M)
    assert start.startswith("/usr/bin/env HALL_MODE=production ") and start.endswith(f"hall {process}")
    assert "HALL_MODE" not in _env_file(process)


@pytest.mark.parametrize("process", ["kiosk", "devices"])
def test_a_kiosk_or_gateway_file_holds_no_master_secret(process: str) -> None:
    assert not MASTER_SECRETS & set(_env_file(process))


def _pii_key() -> str:
    """A key id and an AES-256 key in base64, as an operator makes one."""
    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _hall_config(tmp_path: Path, process: str, values: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = hall_env(tmp_path / "var")
    env.update(values)
    env["HALL_MODE"] = "production"
    command = [sys.executable, "-m", "hall", "config", "--process", process]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("process", ["case-service", "controller", "devices", "kiosk"])
def test_each_filled_in_file_starts_and_a_leaked_master_key_is_refused(tmp_path: Path, process: str) -> None:
    values = _env_file(process)
    for key, value in values.items():  # what the operator fills in
        if not value:
            values[key] = _pii_key() if key == "HALL_PII_KEY" else secrets.token_urlsafe(32)
    values.pop("HALL_DATABASE_URL", None)  # `hall config` does not connect; keep the test's own data
    started = _hall_config(tmp_path, process, values)
    assert started.returncode == 0, started.stderr
    public = {"HALL_DEVICES__WINDOW_READ_KEY"}  # the case service's public key: shown, not a secret
    assert not any(
        value in started.stdout for key, value in values.items() if "KEY" in key and key not in public
    )
    if process in ("kiosk", "devices"):
        leaked = _hall_config(tmp_path, process, {**values, "HALL_PII_KEY": _pii_key()})
        assert leaked.returncode == 2 and f"the {process} must not hold HALL_PII_KEY" in leaked.stderr
    else:
        empty = _hall_config(tmp_path, process, {**values, "HALL_SECRET_KEY": ""})
        assert empty.returncode == 2 and "HALL_SECRET_KEY must be at least 32 characters" in empty.stderr

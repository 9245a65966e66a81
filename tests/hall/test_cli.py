"""The `hall` command as a person runs it: bad configuration ends in one clear line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hall.net import free_port
from tests.fixtures.hall import hall_env
from tests.fixtures.mqtt import Broker


def run_hall(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hall", *args],
        env=hall_env(tmp_path / "var", **values),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hall: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_every_process(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("case-service", "controller", "broker", "kiosk", "devices", "demo", "config", "enrol"):
        assert command in result.stdout


def test_config_prints_validated_settings_without_secrets(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "config", hall_id="hall-west")
    assert result.returncode == 0, result.stderr
    assert '"hall_id": "hall-west"' in result.stdout
    assert "dev-only" not in result.stdout


def test_bad_url(tmp_path: Path) -> None:
    assert_one_line_error(run_hall(tmp_path, "config", mqtt_url="tcp://nowhere"), "HALL_MQTT_URL", "mqtt://")


def test_unknown_environment_option(tmp_path: Path) -> None:
    assert_one_line_error(
        run_hall(tmp_path, "config", colour="red"), "unknown configuration option", "HALL_COLOUR"
    )


def test_unknown_command_line_option(tmp_path: Path) -> None:
    assert_one_line_error(run_hall(tmp_path, "demo", "--colour"), "No such option '--colour'")


def test_production_without_secrets(tmp_path: Path) -> None:
    assert_one_line_error(run_hall(tmp_path, "config", mode="production"), "production mode refuses")


@pytest.mark.parametrize("command", ["controller", "devices"])
def test_unreachable_broker(tmp_path: Path, command: str) -> None:
    url = f"mqtt://127.0.0.1:{free_port()}"
    result = run_hall(tmp_path, command, mqtt_url=url)
    assert_one_line_error(result, f"cannot reach the MQTT broker at {url}", "refused")


def test_broker_port_taken(tmp_path: Path, amqtt_broker: Broker) -> None:
    port = amqtt_broker.port
    result = run_hall(tmp_path, "broker", "--port", str(port))
    assert_one_line_error(result, f"127.0.0.1:{port} is already in use")


def test_locker_gateway_without_its_serial_port(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "locker-gateway", "--port", str(tmp_path / "ttyUSB9"), "--layout", "1:0:S")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot open lock-board port" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_an_anonymous_embedded_broker(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "broker", "--anonymous", "--port", str(free_port()), mode="production")
    assert_one_line_error(result, "production mode refuses an anonymous embedded broker")

"""The `hall` command as a person runs it: bad configuration ends in one clear line, not a traceback."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hall.net import free_port
from hall.settings import Settings
from tests.fixtures.hall import hall_env
from tests.fixtures.mqtt import Broker

# The `hall` script bootstrap installs, as README tells a person to run it.
HALL = str(Path(sys.executable).with_name("hall"))
SECRET = "topsecret"


def run_hall(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    data_dir = Path(values.pop("data_dir", tmp_path / "var"))
    return subprocess.run(
        [HALL, *args],
        env=hall_env(data_dir, **values),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,  # a guard against a hang only: on a busy machine the imports alone take a while
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hall: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_hall_alone_prints_its_usage(tmp_path: Path) -> None:
    result = run_hall(tmp_path)
    assert result.returncode == 2  # what click does for a group called without a command
    assert result.stderr.startswith("Usage: hall [OPTIONS] COMMAND [ARGS]...")
    for command in ("case-service", "controller", "demo", "config"):
        assert command in result.stderr


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


def test_production_refuses_simulated_devices(tmp_path: Path) -> None:
    secrets = {
        "mode": "production",
        "secret_key": "s" * 40,
        "pii_key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    }
    assert_one_line_error(
        run_hall(tmp_path, "kiosk", **secrets, kiosk__card_reader="device", kiosk__printer="cups"),
        "production mode refuses simulated devices; set HALL_DEVICES__BACKEND=real, "
        "HALL_KIOSK__CAMERA=device, HALL_KIOSK__SCANNER=device",
    )
    real = {"devices__backend": "real", "kiosk__camera": "device", "kiosk__scanner": "device"}
    accepted = run_hall(
        tmp_path, "config", **secrets, **real, kiosk__card_reader="device", kiosk__printer="cups"
    )
    assert accepted.returncode == 0, accepted.stderr


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


# Passwords inside URLs ---------------------------------------------------------------------------


def test_config_hides_passwords_inside_urls(tmp_path: Path) -> None:
    result = run_hall(
        tmp_path,
        "config",
        mqtt_url=f"mqtt://hall01:{SECRET}@mqtt.example.gov:1883",
        database_url=f"postgresql+psycopg://hall:{SECRET}@db.example.gov:5432/hall",
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["mqtt_url"] == "mqtt://hall01:***@mqtt.example.gov:1883"
    assert shown["database_url"] == "postgresql+psycopg://hall:***@db.example.gov:5432/hall"


def test_unreachable_broker_error_hides_the_password(tmp_path: Path) -> None:
    port = free_port()
    result = run_hall(tmp_path, "controller", mqtt_url=f"mqtt://hall01:{SECRET}@127.0.0.1:{port}")
    assert_one_line_error(result, f"cannot reach the MQTT broker at mqtt://hall01:***@127.0.0.1:{port}")
    assert SECRET not in result.stderr


# One clear line instead of a traceback ------------------------------------------------------------


def test_pii_key_that_is_not_base64_is_refused_by_config(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "config", pii_key="notbase64")
    assert_one_line_error(result, "HALL_PII_KEY", "not valid base64")
    assert "notbase64" not in result.stderr  # a secret, even a wrong one, is not echoed


def test_unreachable_postgresql(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://hall:{SECRET}@127.0.0.1:{free_port()}/hall"
    result = run_hall(tmp_path, "case-service", database_url=url)
    assert_one_line_error(result, "cannot open the database postgresql+psycopg://hall:***@127.0.0.1:")
    assert SECRET not in result.stderr


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_hall(tmp_path, "case-service", database_url=f"sqlite:///{blocker}/db/case.db")
    assert_one_line_error(result, "cannot create the folder of the database", "Not a directory")


def test_sqlite_in_a_missing_folder_is_created(
    tmp_path: Path, start_hall_process: Callable[..., object]
) -> None:
    database = tmp_path / "new" / "folder" / "case.db"
    start_hall_process("case-service", database_url=f"sqlite:///{database}")
    assert database.exists()


@pytest.mark.parametrize("where", ["a-file", "a-file/var"])
def test_data_dir_that_is_not_a_writable_folder(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("")
    result = run_hall(tmp_path, "controller", data_dir=str(tmp_path / where))
    assert_one_line_error(result, f"HALL_DATA_DIR {tmp_path / where} is not a writable folder")


def run_mosquitto_acl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hall_controller.mosquitto_acl", "--hall", "hall-01", *args],
        env=hall_env(tmp_path / "var"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,  # a guard against a hang only: on a busy machine the imports alone take a while
    )


def _logins(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "logins.json"
    path.write_text(text)
    return path


def test_mosquitto_acl_refuses_unreadable_logins_in_one_line(tmp_path: Path) -> None:
    logins = _logins(tmp_path, "not json")
    result = run_mosquitto_acl(tmp_path, "--logins", str(logins), "--out", str(tmp_path / "broker"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "mosquitto_acl: error: cannot read the enrolled devices' logins:"
    ), result.stderr
    assert not (tmp_path / "broker").exists()


def test_mosquitto_acl_unwritable_out_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "broker"
    logins = _logins(tmp_path, json.dumps([{"username": "hall-01/$controller", "password_hash": "$7$x"}]))
    result = run_mosquitto_acl(tmp_path, "--logins", str(logins), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"mosquitto_acl: error: cannot write to --out {out}: Not a directory"], result.stderr


# .env ---------------------------------------------------------------------------------------------


def test_dotenv_ignores_other_programs_and_tooling_variables(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "POSTGRES_PASSWORD=x\nHALL_TEST_POSTGRES_URL=postgresql://t@h/db\nHALL_BENCH_DEVICES=4\n"
        "HALL_HALL_ID=hall-east\n"
    )
    result = run_hall(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hall_id"] == "hall-east"  # .env is read, only foreign names ignored


def test_dotenv_unknown_hall_variable_is_named_as_written(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HALL_FOO=1\n")
    result = run_hall(tmp_path, "config")
    assert_one_line_error(result, "unknown configuration option", "HALL_FOO")
    assert "HALL_HALL_FOO" not in result.stderr


# What a newcomer reads ----------------------------------------------------------------------------


def test_locker_gateway_help_names_the_hall_command(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "locker-gateway", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: hall locker-gateway")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "memory"),
        (
            {
                "mode": "production",
                "secret_key": "s" * 40,
                "pii_key": base64.b64encode(b"k" * 32).decode(),
                "devices__backend": "real",
                "kiosk__card_reader": "device",
                "kiosk__camera": "device",
                "kiosk__scanner": "device",
                "kiosk__printer": "cups",
            },
            "case-service",
        ),
        ({"controller__locker_cases": "case-service"}, "case-service"),
    ],
)
def test_config_shows_the_effective_locker_cases(
    tmp_path: Path, values: dict[str, str], expected: str
) -> None:
    result = run_hall(tmp_path, "config", **values)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["controller"]["locker_cases"] == expected


def test_readme_documents_every_top_level_setting() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = [line for line in readme.splitlines() if line.startswith("| `HALL_")]
    missing = [
        name
        for name in (f"HALL_{field.upper()}" for field in Settings.model_fields)
        if not any(f"`{name}`" in line or f"`{name}__" in line for line in table)
    ]
    assert not missing, f"README's configuration table lacks {missing}"


def test_production_refuses_an_anonymous_embedded_broker(tmp_path: Path) -> None:
    result = run_hall(tmp_path, "broker", "--anonymous", "--port", str(free_port()), mode="production")
    assert_one_line_error(result, "production mode refuses an anonymous embedded broker")

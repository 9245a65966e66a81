from __future__ import annotations

from pathlib import Path

import pytest

from hall.errors import StartupError
from hall.settings import DEV_SECRET_KEY, Mode, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("HALL_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings()
    assert settings.mode is Mode.DEVELOPMENT
    assert settings.uses_embedded_broker
    assert settings.resolved_mqtt_url == "mqtt://127.0.0.1:18830"
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("var/case_service.db")


def test_nested_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALL_CASE__PORT", "9001")
    monkeypatch.setenv("HALL_MQTT_URL", "mqtt://broker.example:1884")
    settings = load_settings()
    assert settings.case.port == 9001
    assert settings.case_service_url == "http://127.0.0.1:9001"
    assert not settings.uses_embedded_broker


def test_dotenv_file_is_read() -> None:
    Path(".env").write_text("HALL_HALL_ID=hall-east\n")
    assert load_settings().hall_id == "hall-east"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("HALL_MQTT_URL", "http://broker:1883", "HALL_MQTT_URL: Value error, must be mqtt://"),
        ("HALL_MQTT_URL", "mqtt://:1883", "has no host"),
        ("HALL_MQTT_URL", "mqtt://broker:99999", "bad port"),
        ("HALL_DATABASE_URL", "mysql://x/y", "HALL_DATABASE_URL: Value error, must start with sqlite"),
        ("HALL_CASE__PORT", "seventy", "HALL_CASE__PORT: Input should be a valid integer"),
        ("HALL_HALL_ID", "Hall One", "HALL_HALL_ID: String should match pattern"),
    ],
)
def test_bad_values_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(StartupError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_option_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALL_BROKER_URL", "mqtt://x")
    with pytest.raises(StartupError, match="unknown configuration option.*HALL_BROKER_URL"):
        load_settings()


def test_production_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALL_MODE", "production")
    with pytest.raises(StartupError) as caught:
        load_settings().check_process_secrets("case-service")
    assert "HALL_SECRET_KEY" in str(caught.value)
    assert "HALL_PII_KEY" in str(caught.value)
    assert DEV_SECRET_KEY not in str(caught.value)
    with pytest.raises(StartupError, match="HALL_LOCKER_ID_KEY"):
        load_settings().check_process_secrets("devices")


REAL_DEVICES = {
    "HALL_DEVICES__BACKEND": "real",
    "HALL_KIOSK__CARD_READER": "device",
    "HALL_KIOSK__CAMERA": "device",
    "HALL_KIOSK__SCANNER": "device",
    "HALL_KIOSK__PRINTER": "cups",
}


def _production(monkeypatch: pytest.MonkeyPatch, **devices: str) -> None:
    monkeypatch.setenv("HALL_MODE", "production")
    monkeypatch.setenv("HALL_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("HALL_PII_KEY", "cHJvZHVjdGlvbi1rZXktMzItYnl0ZXMtbG9uZy4uLi4=")
    for key, value in {**REAL_DEVICES, **devices}.items():
        monkeypatch.setenv(key, value)


def test_production_accepts_real_secrets_and_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    settings = load_settings()
    assert settings.mode is Mode.PRODUCTION
    assert settings.simulated_backends() == []


def test_development_simulates_devices_by_default() -> None:
    settings = load_settings()
    assert settings.devices.backend == "sim"
    assert ("HALL_KIOSK__CARD_READER", "device") in settings.simulated_backends()


def test_production_refuses_the_default_simulated_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    for key in REAL_DEVICES:
        monkeypatch.delenv(key)
    settings = load_settings()
    settings.check_process("case-service")  # it drives no device
    with pytest.raises(StartupError) as caught:
        settings.check_process("kiosk")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("production mode refuses simulated devices; set HALL_DEVICES__BACKEND=real")
    for key, value in REAL_DEVICES.items():
        assert f"{key}={value}" in message
    with pytest.raises(StartupError, match="simulated devices; set HALL_DEVICES__BACKEND=real$"):
        settings.check_process_devices("devices")


@pytest.mark.parametrize(
    ("key", "real"),
    [
        ("HALL_DEVICES__BACKEND", "real"),
        ("HALL_KIOSK__CARD_READER", "device"),
        ("HALL_KIOSK__CAMERA", "device"),
        ("HALL_KIOSK__SCANNER", "device"),
        ("HALL_KIOSK__PRINTER", "cups"),
        ("HALL_KIOSK__HALL_LINK", "controller"),
    ],
)
def test_production_refuses_each_simulated_backend(
    monkeypatch: pytest.MonkeyPatch, key: str, real: str
) -> None:
    _production(monkeypatch, **{key: "sim"})
    with pytest.raises(StartupError) as caught:
        load_settings().check_process_devices("kiosk")
    assert str(caught.value).endswith(f"production mode refuses simulated devices; set {key}={real}")

    settings = load_settings()
    assert settings.mode is Mode.PRODUCTION
    settings.check_process_secrets("case-service")


def test_production_keeps_the_halls_secrets_off_a_kiosk_and_a_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HALL_MODE", "production")
    load_settings().check_process_secrets("kiosk")  # its own credential file is all it holds
    monkeypatch.setenv("HALL_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("HALL_PII_KEY", "cHJvZHVjdGlvbi1rZXktMzItYnl0ZXMtbG9uZy4uLi4=")
    monkeypatch.setenv("HALL_LOCKER_ID_KEY", "l" * 40)
    for process in ("kiosk", "devices", "broker"):
        with pytest.raises(
            StartupError, match="must not hold (HALL_LOCKER_ID_KEY, )?HALL_PII_KEY, HALL_SECRET_KEY"
        ):
            load_settings().check_process_secrets(process)


def test_secrets_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert DEV_SECRET_KEY not in settings.model_dump_json()

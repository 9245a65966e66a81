"""The kiosk's case service at start-up: always the running one over HTTP, as the enrolled kiosk; no
in-memory stand-in can be chosen, and a kiosk not enrolled stops with a line that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.protocol.credentials import DeviceCredential, save_credential
from hall.errors import StartupError
from hall.settings import load_settings
from kiosk.adapters.http_case import HttpCaseService
from kiosk.wiring import http_case_service


def test_an_in_memory_case_service_cannot_be_chosen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HALL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HALL_KIOSK__CASE_SERVICE", "sim")
    with pytest.raises(StartupError, match="HALL_KIOSK__CASE_SERVICE"):
        load_settings()


def test_a_kiosk_not_enrolled_stops_naming_the_case_service_and_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HALL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HALL_CASE__PUBLIC_URL", "http://127.0.0.1:9")
    settings = load_settings()
    with pytest.raises(StartupError) as caught:
        http_case_service(settings)
    said = str(caught.value)
    assert "http://127.0.0.1:9" in said and "kiosk-01" in said and "enrol" in said
    assert str(settings.credential_file("kiosk-01")) in said


def test_an_enrolled_kiosk_talks_http_to_the_configured_case_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HALL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HALL_CASE__PUBLIC_URL", "http://127.0.0.1:9")
    settings = load_settings()
    own = DeviceCredential(device_id="kiosk-01", kind="kiosk", hall_id="hall-01", secret="s" * 43)
    save_credential(settings.credential_file("kiosk-01"), own)
    service = http_case_service(settings)
    try:
        assert isinstance(service, HttpCaseService)
        assert str(service._client.base_url) == "http://127.0.0.1:9/api/v1/"
    finally:
        service.close()

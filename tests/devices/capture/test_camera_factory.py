"""Opening the configured cameras: settings validated, the simulated backend, a folder as the real one."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from devices.camera import CameraHealth, CameraState
from devices.camera.config import CameraSettings
from devices.camera.factory import open_camera
from firmware_sim.capture.cameras import simulated_camera


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValidationError):
        CameraSettings(dpi=600)
    with pytest.raises(ValidationError):
        CameraSettings(unknown="x")  # type: ignore[call-arg]


def test_sim_backend_gives_scenes_of_the_configured_size() -> None:
    health: list[CameraHealth] = []
    settings = CameraSettings(width=640, height=360)
    simulated = simulated_camera("document_camera", settings)
    camera = open_camera("document_camera", settings, on_health=health.append, simulated=simulated)
    frame = camera.read()
    camera.close()
    assert frame is not None
    assert frame.shape == (360, 640, 3)
    assert [item.state for item in health] == [CameraState.OK]


def test_real_backend_opens_a_folder_spec(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), np.full((20, 30, 3), 7, np.uint8))
    camera = open_camera("qr_camera", CameraSettings(qr_camera=str(tmp_path)))
    frame = camera.read()
    camera.close()
    assert frame is not None
    assert int(frame[0, 0, 0]) == 7


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        open_camera("face_camera", CameraSettings())


def test_sim_qr_camera_is_the_counter_camera() -> None:
    settings = CameraSettings(width=640, height=360)
    camera = open_camera("qr_camera", settings, simulated=simulated_camera("qr_camera", settings))
    frame = camera.read()
    camera.close()
    assert frame is not None
    assert frame.shape == (360, 640, 3)
    assert camera.read() is None


def test_camera_settings_come_from_the_hall_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hall.settings import load_settings

    for key in [key for key in os.environ if key.startswith("HALL_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("HALL_DEVICES__CAMERA__QR_CAMERA", str(tmp_path / "frames"))
    monkeypatch.setenv("HALL_DEVICES__CAMERA__DPI", "300")
    camera = load_settings().devices.camera
    assert (camera.qr_camera, camera.dpi, camera.document_camera) == (str(tmp_path / "frames"), 300, "1")

"""The kiosk's cameras over devices/: firmware_sim's simulated document camera (desk scenes) through
devices/capture, and its simulated QR camera through devices/barcode's scan loop."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from devices.camera.sources import CameraError, FrameSource
from devices.camera.supervised import SupervisedSource
from firmware_sim.capture.camera import SimulatedCamera
from firmware_sim.capture.qr_camera import SimulatedQrCamera
from kiosk.adapters.camera import CameraScanner, DocumentCamera
from kiosk.flow.model import Device
from kiosk.ports import DeviceFailureError, RejectedError

pytestmark = pytest.mark.integration


class EmptyDesk:
    """A camera looking at a desk with nothing on it."""

    name = "empty desk"

    def read(self) -> np.ndarray | None:
        return np.full((480, 640, 3), 90, np.uint8)

    def close(self) -> None:
        pass


def _supervised(opener: object) -> SupervisedSource:
    return SupervisedSource(opener, name="test camera", retry_seconds=0.2)  # type: ignore[arg-type]


def test_a_page_from_a_simulated_desk_scene_comes_out_clean_and_a4() -> None:
    source = _supervised(lambda: SimulatedCamera(3, frames_per_page=5, size=(720, 1280)))
    camera = DocumentCamera(source, dpi=100, health=source.health)
    try:
        png = camera.capture_page()
    finally:
        camera.close()
    page = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert page is not None
    height, width = page.shape[:2]
    assert abs(height / width - 297 / 210) < 0.02  # flattened to A4
    ink = float(np.mean(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) < 128))
    assert 0.002 < ink < 0.5  # text on white, not a blank sheet and not the desk


def test_no_page_is_the_applicants_to_fix() -> None:
    camera = DocumentCamera(EmptyDesk(), max_frames=10)
    with pytest.raises(RejectedError) as missing:
        camera.capture_page()
    assert missing.value.reason == "capture_no_page"
    camera.close()


def test_a_camera_that_gives_no_frames_is_a_device_fault() -> None:
    def unplugged() -> FrameSource:
        raise CameraError("/dev/video1: no such device")

    source = _supervised(unplugged)
    camera = DocumentCamera(source, frame_timeout=1.0, health=source.health)
    started = time.monotonic()
    with pytest.raises(DeviceFailureError) as failed:
        camera.capture_page()
    assert failed.value.device is Device.CAMERA and "no such device" in failed.value.reason
    assert time.monotonic() - started < 10
    camera.close()


def test_qr_shown_to_the_simulated_camera_is_handed_over_once() -> None:
    qr = SimulatedQrCamera(size=(480, 640))
    source = _supervised(lambda: qr)
    scanner = CameraScanner(source, health=source.health, fps=20)
    try:
        qr.show("EID1.payload.signature")
        deadline = time.monotonic() + 30
        found = None
        while found is None and time.monotonic() < deadline:
            found = scanner.next_code()
            time.sleep(0.05)
        assert found == "EID1.payload.signature"
        seen = scanner.frames_seen
        while scanner.frames_seen < seen + 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scanner.frames_seen >= seen + 5
        assert scanner.next_code() is None  # still shown, five frames on: not reported again
    finally:
        scanner.close()

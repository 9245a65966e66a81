"""The simulated cameras the entry point passes to devices/camera when HALL_DEVICES__BACKEND=sim."""

from __future__ import annotations

from devices.camera.config import CameraSettings
from devices.camera.factory import Opener
from firmware_sim.capture.camera import SimulatedCamera
from firmware_sim.capture.qr_camera import SimulatedQrCamera


def simulated_camera(role: str, settings: CameraSettings, seed: int = 0) -> Opener:
    """Opens the counter's QR camera ("qr_camera") or the desk's document camera, at the settings' size."""
    size = (settings.height, settings.width)
    if role == "qr_camera":
        return lambda: SimulatedQrCamera(size=size, seed=seed)
    return lambda: SimulatedCamera(seed, frames_per_page=5, size=size)

"""Opens the configured cameras: the real ones through OpenCV, or (backend "sim") the simulated camera.

Either way the camera comes wrapped in a `SupervisedSource`, so a lost camera is reopened and its health
reported the same way in the demo, the tests and the hall.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from devices.camera.config import CameraSettings
from devices.camera.sources import FrameSource, OpenCVSource, open_source
from devices.camera.supervised import CameraHealth, SupervisedSource


def _opener(spec: str, settings: CameraSettings) -> Callable[[], FrameSource]:
    def open_it() -> FrameSource:
        text = spec.strip()
        if text.isdigit():
            return OpenCVSource(int(text), width=settings.width, height=settings.height)
        return open_source(text)

    return open_it


def _simulated(role: str, settings: CameraSettings, seed: int) -> Callable[[], FrameSource]:
    from firmware_sim.capture.camera import SimulatedCamera
    from firmware_sim.capture.qr_camera import SimulatedQrCamera

    size = (settings.height, settings.width)
    if role == "qr_camera":
        return lambda: SimulatedQrCamera(size=size, seed=seed)
    return lambda: SimulatedCamera(seed, frames_per_page=5, size=size)


def open_camera(
    role: str,
    settings: CameraSettings,
    *,
    backend: str,
    on_health: Callable[[CameraHealth], None] | None = None,
    sim_seed: int = 0,
) -> SupervisedSource:
    """The camera used as `role` ("qr_camera" or "document_camera"), supervised."""
    if role not in ("qr_camera", "document_camera"):
        raise ValueError(f"unknown camera role {role!r}")
    if backend == "sim":
        return SupervisedSource(
            _simulated(role, settings, sim_seed),
            name=f"simulated {role}",
            retry_seconds=settings.retry_seconds,
            on_health=on_health,
        )
    spec = settings.qr_camera if role == "qr_camera" else settings.document_camera
    name = f"{role} {spec}" if spec.strip().isdigit() else f"{role} {Path(spec).name}"
    return SupervisedSource(
        _opener(spec, settings), name=name, retry_seconds=settings.retry_seconds, on_health=on_health
    )

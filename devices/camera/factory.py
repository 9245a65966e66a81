"""Opens the configured cameras through OpenCV (a device index) or a file, folder or stream.

Either way, and for a simulated camera the entry point passes in (firmware_sim/capture/cameras.py when
HALL_DEVICES__BACKEND=sim), the camera comes wrapped in a `SupervisedSource`, so a lost camera is reopened
and its health reported the same way in the demo, the tests and the hall.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from devices.camera.config import CameraSettings
from devices.camera.sources import FrameSource, OpenCVSource, open_source
from devices.camera.supervised import CameraHealth, SupervisedSource

ROLES = ("qr_camera", "document_camera")
Opener = Callable[[], FrameSource]


def _opener(spec: str, settings: CameraSettings) -> Opener:
    def open_it() -> FrameSource:
        text = spec.strip()
        if text.isdigit():
            return OpenCVSource(int(text), width=settings.width, height=settings.height)
        return open_source(text)

    return open_it


def open_camera(
    role: str,
    settings: CameraSettings,
    *,
    on_health: Callable[[CameraHealth], None] | None = None,
    simulated: Opener | None = None,
) -> SupervisedSource:
    """The camera used as `role` ("qr_camera" or "document_camera"), supervised; `simulated` opens a
    simulated camera instead of the configured one."""
    if role not in ROLES:
        raise ValueError(f"unknown camera role {role!r}")
    if simulated is not None:
        return SupervisedSource(
            simulated, name=f"simulated {role}", retry_seconds=settings.retry_seconds, on_health=on_health
        )
    spec = settings.qr_camera if role == "qr_camera" else settings.document_camera
    name = f"{role} {spec}" if spec.strip().isdigit() else f"{role} {Path(spec).name}"
    return SupervisedSource(
        _opener(spec, settings), name=name, retry_seconds=settings.retry_seconds, on_health=on_health
    )

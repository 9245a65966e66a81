"""The cameras' settings: `HALL_DEVICES__CAMERA__*`.

A camera is given as a spec string: a V4L2 device index ("0"), a folder of images, or a video file.
"""

from __future__ import annotations

from pydantic import Field

from hall.config_base import Section


class CameraSettings(Section):
    qr_camera: str = "0"
    document_camera: str = "1"
    width: int = Field(default=1920, ge=160, le=7680)
    height: int = Field(default=1080, ge=120, le=4320)
    retry_seconds: float = Field(default=2.0, gt=0, le=60)
    # The document camera's output.
    dpi: int = Field(default=200, ge=100, le=300)
    pdf_page_budget_bytes: int = Field(default=300_000, ge=20_000, le=5_000_000)

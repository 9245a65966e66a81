"""The device drivers' settings section: `HALL_DEVICES__*`."""

from __future__ import annotations

from pydantic import Field

from devices.camera.config import CameraSettings
from devices.idcard.config import IdCardSettings
from hall.config_base import Section


class DeviceSettings(Section):
    # "sim" drives the firmware_sim twins; "real" the hardware drivers in devices/.
    backend: str = Field(default="sim", pattern="^(sim|real)$")
    idcard: IdCardSettings = IdCardSettings()
    camera: CameraSettings = CameraSettings()
    # The case service's public key the window's card readers seal their reads to (base64 X25519, shown at
    # GET /web/window/read-key). Empty: derived from HALL_PII_KEY where the process holds it (the demo).
    window_read_key: str = Field(default="", max_length=64)

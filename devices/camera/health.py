"""A camera's health on the device contract: the owning device's state (the kiosk's) carries it under a key
such as ``data["qr_camera"]``, and a lost camera raises the contract's ``camera-missing`` issue until it is
back. The same shape as the card reader's (devices/idcard/health.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from devices.camera.supervised import CameraHealth
from devices.protocol.device import ProtocolDevice
from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import HealthIssue


@dataclass(frozen=True)
class CameraHealthUpdate:
    data: dict[str, str | int]
    raise_issues: list[HealthIssue]
    clear_issues: list[str]


def camera_health_update(health: CameraHealth, role: str) -> CameraHealthUpdate:
    """Pure: what the device's state should say for `health` of the camera used as `role`."""
    data: dict[str, str | int] = {"state": health.state.value, "recoveries": health.recoveries}
    if health.ok:
        return CameraHealthUpdate(data, [], [HealthCode.CAMERA_MISSING.value])
    message = f"摄像头未连接 camera missing: {role}"
    return CameraHealthUpdate(data, [issue(HealthCode.CAMERA_MISSING, message)], [])


class CameraHealthReporter:
    """Publishes a camera's health through `device` whenever it changes (pass `report` as `on_health`).

    With two cameras on one device (roles ``qr_camera`` and ``document_camera``), the issue stays raised
    while either is missing.
    """

    def __init__(self, device: ProtocolDevice, role: str) -> None:
        self.device = device
        self.role = role
        self._lock = threading.Lock()
        self._last: CameraHealthUpdate | None = None

    def report(self, health: CameraHealth) -> None:
        update = camera_health_update(health, self.role)
        with self._lock:
            if update == self._last:
                return
            self._last = update
            clear = update.clear_issues
            if clear and any(
                isinstance(value, dict) and value.get("state") == "missing"
                for key, value in self.device.state_data.items()
                if key != self.role and key.endswith("camera")
            ):
                clear = []  # another camera of this device is still missing
            self.device.update_state(
                {self.role: update.data}, raise_issues=update.raise_issues, clear_issues=clear
            )

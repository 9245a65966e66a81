"""The hall controller's settings section: `HALL_CONTROLLER__*`."""

from __future__ import annotations

from pydantic import Field

from hall.config_base import Port, Section


class ControllerSettings(Section):
    host: str = "127.0.0.1"
    port: Port = 8100
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    # A device is offline after this many missed heartbeats (also when its last will arrives).
    offline_after_missed: int = Field(default=3, ge=1)
    # Home Assistant MQTT discovery: hall devices appear in Home Assistant (off unless asked for).
    home_assistant: bool = False
    home_assistant_prefix: str = Field(default="homeassistant", pattern=r"^[a-z0-9_-]{1,32}$")

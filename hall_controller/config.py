"""The hall controller's settings section: `HALL_CONTROLLER__*`."""

from __future__ import annotations

from pydantic import Field, SecretStr

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
    # The case service's HALL_SECRET_KEY, to verify staff tokens on the controller's HTTP routes without
    # asking the case service. Development falls back to HALL_SECRET_KEY; production requires it.
    staff_token_key: SecretStr | None = None
    # Where the lockers read and move cases: "case-service" (HTTP at HALL_CASE__PUBLIC_URL or
    # HALL_CASE__HOST/PORT, as the enrolled device controller-<hall>) or "memory" (a stand-in
    # filled through POST /api/v1/ext/lockers/demo-cases; refused in production). Unset: "case-service"
    # in production, "memory" in development.
    locker_cases: str | None = Field(default=None, pattern="^(case-service|memory)$")

"""Every payload of the device contract, version 1: one set of pydantic models for all sides.

Every payload is a JSON object with ``"v": 1``. Unknown fields are refused (``extra="forbid"``) so a
typo is an error, not silently ignored data. `decode` turns raw bytes into a model or raises
`PayloadError` with a reason fit for a log line and a counter.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, model_validator

from hall.models import Strict

PROTOCOL_VERSION = 1
MAX_PAYLOAD_BYTES = 64 * 1024

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Kind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
JsonObject = dict[str, Any]
WIRE = "wire"  # validation context of payloads received from MQTT


SEQ = (
    "one counter per instance over state, heartbeats and events, 1 for the first message, +1 for each in "
    "publishing order; a gap makes the controller send cmd/announce"
)


class PayloadError(ValueError):
    """A payload outside the contract: not JSON, too large, wrong version or wrong shape."""


class Payload(Strict):
    v: Literal[1] = Field(default=1, description="contract version; required on every message a device sends")

    @model_validator(mode="before")
    @classmethod
    def _version_on_the_wire(cls, data: Any, info: ValidationInfo) -> Any:
        # Built in code, `v` defaults to 1; received from the wire it must be there.
        if info.context == WIRE and isinstance(data, dict) and "v" not in data:
            raise ValueError("unsupported payload version None")
        return data

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class Presence(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class Status(Payload):
    """Retained ``status``: ``online`` on connect, ``offline`` as the last will and on a clean stop.

    `instance` changes on every process start; two instances of one device id means a duplicate id.
    """

    status: Presence
    instance: Identifier = Field(description="random id drawn at each program start")


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class HealthIssue(Payload):
    """One thing wrong with a device; `code` is from docs/protocol.md (e.g. ``paper-out``)."""

    code: Name = Field(description="health issue code (docs/protocol.md); the alarm's code")
    severity: Severity = Severity.WARNING
    message: str = Field(default="", max_length=200, description="shown on the dashboard")


class Description(Payload):
    """Retained ``desc``: what the device is and what it can do."""

    instance: Identifier
    kind: Kind = Field(description="the device kind (x-device-kinds): what the controller sends it and reads")
    model: str = Field(max_length=64)
    firmware: str = Field(max_length=64)
    capabilities: list[Name] = Field(default_factory=list, max_length=64, description="informative")
    commands: list[Name] = Field(
        default_factory=list, max_length=64, description="command names it answers (informative)"
    )
    events: list[Name] = Field(
        default_factory=list, max_length=64, description="event names it sends (informative)"
    )
    heartbeat_seconds: float = Field(
        gt=0, le=3600, description="seconds between heartbeats; offline after 3 missed (default setting)"
    )
    attributes: dict[Name, str | int | float | bool] = Field(
        default_factory=dict, max_length=64, description="per kind, see x-device-kinds (e.g. window)"
    )


class State(Payload):
    """Retained ``state``: the device's current condition, with its health issues."""

    instance: Identifier
    seq: int = Field(ge=1, description=SEQ)
    ts: float = Field(description="Unix seconds when published")
    issues: list[HealthIssue] = Field(
        default_factory=list,
        max_length=32,
        description="every current problem; a code no longer listed clears its alarm",
    )
    data: JsonObject = Field(default_factory=dict, description="per kind (x-device-kinds stateData)")


class Command(Payload):
    """``cmd/<name>``, not retained: the device answers on ``resp`` with an optional ack, then completion."""

    request_id: Identifier = Field(description="fresh per command; a repeat must not execute twice")
    args: JsonObject = Field(default_factory=dict, description="per command (the cmd/<name> channel)")
    # The device answers `timeOut` instead of executing if it receives the command after this moment.
    expires: float | None = Field(
        default=None, description="Unix seconds; received later: complete timeOut without executing"
    )


class Phase(StrEnum):
    ACK = "ack"
    COMPLETION = "completion"


class CompletionCode(StrEnum):
    """XFS4IoT-style outcome of a command."""

    SUCCESS = "success"
    CANCELED = "canceled"
    DEVICE_NOT_READY = "deviceNotReady"
    HARDWARE_ERROR = "hardwareError"
    TIME_OUT = "timeOut"
    INVALID_DATA = "invalidData"
    UNSUPPORTED_COMMAND = "unsupportedCommand"
    INTERNAL_ERROR = "internalError"


class Response(Payload):
    """``resp``, not retained. `code` is set on the completion only."""

    request_id: Identifier = Field(description="the command's")
    command: Name = Field(description="the command's name (the last segment of its topic)")
    phase: Phase = Field(description="ack first (optional), then exactly one completion")
    code: CompletionCode | None = Field(default=None, description="required on the completion")
    result: JsonObject = Field(default_factory=dict, description="per command (x-completion.result)")
    message: str = Field(default="", max_length=500, description="for logs")


class Event(Payload):
    """``evt/<name>``, not retained: something happened (a key press, a door closed, a rating)."""

    instance: Identifier
    seq: int = Field(ge=1, description=SEQ)
    ts: float = Field(description="Unix seconds when it happened")
    data: JsonObject = Field(default_factory=dict, description="per event (the evt/<name> channel)")


class Heartbeat(Payload):
    """``evt/heartbeat``: the device is alive; `seq` shares the counter of state and events."""

    instance: Identifier
    seq: int = Field(ge=1, description=SEQ)
    ts: float = Field(description="Unix seconds")
    uptime: float = Field(ge=0, description="seconds since the program started")


HEARTBEAT_EVENT = "heartbeat"
# Commands every device answers, besides its own.
ANNOUNCE_COMMAND = "announce"

ModelT = TypeVar("ModelT", bound=Payload)


def decode(model: type[ModelT], raw: bytes) -> ModelT:
    """Raw bytes → a validated payload, or `PayloadError` naming what is wrong."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return model.model_validate_json(
            raw, context=WIRE
        )  # the fast path: JSON parsed and checked in pydantic-core
    except ValidationError:
        pass  # find the exact reason below
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PayloadError(f"not JSON: {err}") from err
    if not isinstance(body, dict):
        raise PayloadError("payload is not a JSON object")
    if body.get("v") != PROTOCOL_VERSION:
        raise PayloadError(f"unsupported payload version {body.get('v')!r}")
    try:
        return model.model_validate(body, context=WIRE)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise PayloadError(f"invalid {model.__name__}: {where}: {first['msg']}") from err

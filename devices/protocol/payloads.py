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


class PayloadError(ValueError):
    """A payload outside the contract: not JSON, too large, wrong version or wrong shape."""


class Payload(Strict):
    v: Literal[1] = 1

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
    instance: Identifier


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class HealthIssue(Payload):
    """One thing wrong with a device; `code` is from docs/protocol.md (e.g. ``paper-out``)."""

    code: Name
    severity: Severity = Severity.WARNING
    message: str = Field(default="", max_length=200)


class Description(Payload):
    """Retained ``desc``: what the device is and what it can do."""

    instance: Identifier
    kind: Kind
    model: str = Field(max_length=64)
    firmware: str = Field(max_length=64)
    capabilities: list[Name] = Field(default_factory=list, max_length=64)
    commands: list[Name] = Field(default_factory=list, max_length=64)
    events: list[Name] = Field(default_factory=list, max_length=64)
    heartbeat_seconds: float = Field(gt=0, le=3600)
    attributes: dict[Name, str | int | float | bool] = Field(default_factory=dict, max_length=64)


class State(Payload):
    """Retained ``state``: the device's current condition, with its health issues."""

    instance: Identifier
    seq: int = Field(ge=0)
    ts: float
    issues: list[HealthIssue] = Field(default_factory=list, max_length=32)
    data: JsonObject = Field(default_factory=dict)


class Command(Payload):
    """``cmd/<name>``, not retained: the device answers on ``resp`` with ack, then completion."""

    request_id: Identifier
    args: JsonObject = Field(default_factory=dict)
    # The device answers `timeOut` instead of executing if it receives the command after this moment.
    expires: float | None = None


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

    request_id: Identifier
    command: Name
    phase: Phase
    code: CompletionCode | None = None
    result: JsonObject = Field(default_factory=dict)
    message: str = Field(default="", max_length=500)


class Event(Payload):
    """``evt/<name>``, not retained: something happened (a key press, a door closed, a rating)."""

    instance: Identifier
    seq: int = Field(ge=0)
    ts: float
    data: JsonObject = Field(default_factory=dict)


class Heartbeat(Payload):
    """``evt/heartbeat``: the device is alive; `seq` shares the counter of state and events."""

    instance: Identifier
    seq: int = Field(ge=0)
    ts: float
    uptime: float = Field(ge=0)


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

"""The AsyncAPI document of the device contract, generated from the code (topics and payload models).

``python -m devices.protocol.asyncapi`` rewrites docs/asyncapi.yaml; a test fails when the file and the
code disagree. Written from a device's point of view: ``publish`` is what a device sends.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from devices.protocol import kinds, topics
from devices.protocol.payloads import (
    MAX_PAYLOAD_BYTES,
    PROTOCOL_VERSION,
    Command,
    CompletionCode,
    Description,
    Event,
    Heartbeat,
    Payload,
    Response,
    State,
    Status,
)

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
SEGMENT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
MODELS: tuple[type[Payload], ...] = (Status, Description, State, Heartbeat, Event, Command, Response)

# channel template → (device sends it?, model, retained, qos, summary)
CHANNELS: dict[str, tuple[bool, type[Payload], bool, int, str]] = {
    "status": (True, Status, True, 1, "online on connect; offline as the last will and on a clean stop"),
    "desc": (True, Description, True, 1, "what the device is and can do; published on every (re)connect"),
    "state": (True, State, True, 1, "current condition and health issues; seq counts with events"),
    "evt/heartbeat": (True, Heartbeat, False, 0, "every heartbeat_seconds"),
    "evt/{name}": (True, Event, False, 1, "something happened on the device"),
    "resp": (
        True,
        Response,
        False,
        1,
        "ack when a command is accepted (optional), then its completion with a code",
    ),
    "cmd/{name}": (False, Command, False, 1, "a command from the controller; idempotent by request_id"),
}


# Per-kind models: command arguments and results, event data, state data (devices.protocol.kinds).
KIND_MODELS: tuple[type[BaseModel], ...] = tuple(
    dict.fromkeys(
        [model for spec in kinds.COMMANDS.values() for model in (spec.args, spec.result) if model is not None]
        + [spec.data for spec in kinds.EVENTS.values()]
        + [spec.sealed for spec in kinds.EVENTS.values() if spec.sealed is not None]
        + [spec.state_data for spec in kinds.KINDS if spec.state_data is not None]
    )
)
ENVELOPES = frozenset(model.__name__ for model in MODELS) | {"HealthIssue"}


def _template(channel: str, device: str = "{device}") -> str:
    return f"{topics.ROOT}/{topics.VERSION}/{{hall}}/{device}/{channel}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (*MODELS, *KIND_MODELS):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for name in ENVELOPES:
        # `v` has a default in code; on the wire the controller refuses a message without it.
        schema = schemas[name]
        schema["required"] = ["v", *[field for field in schema.get("required", []) if field != "v"]]
    return dict(sorted(schemas.items()))


def _operation(model: type[Payload], retained: bool, qos: int, summary: str, verb: str) -> dict[str, Any]:
    return {
        "operationId": f"{verb}{model.__name__}",
        "summary": summary,
        "bindings": {"mqtt": {"qos": qos, "retain": retained}},
        "message": {"$ref": f"#/components/messages/{model.__name__}"},
    }


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _command_channel(spec: kinds.CommandSpec) -> dict[str, Any]:
    args: dict[str, Any] = {"type": "object", "maxProperties": 0}
    if spec.args is not None:
        args = _ref(spec.args)
    sent_to = [kind.kind for kind in kinds.KINDS if spec.name in kind.commands] or ["every device"]
    return {
        "parameters": {name: {"$ref": f"#/components/parameters/{name}"} for name in ("hall", "device")},
        "subscribe": {
            "operationId": f"subscribe{_camel(spec.name)}Command",
            "summary": spec.summary,
            "bindings": {"mqtt": {"qos": 1, "retain": False}},
            "message": {
                "name": f"{_camel(spec.name)}Command",
                "payload": {"allOf": [_ref(Command), {"properties": {"args": args}}]},
            },
        },
        "x-sent-to-kinds": sent_to,
        "x-completion": {
            "timeoutSeconds": spec.timeout_seconds,
            "codes": spec.codes,
            "result": _ref(spec.result) if spec.result is not None else {"type": "object"},
            "resultNote": spec.result_note,
        },
    }


def _event_channel(spec: kinds.EventSpec) -> dict[str, Any]:
    senders = [kind.kind for kind in kinds.KINDS if spec.name in kind.events]
    sealed: dict[str, Any] = {}
    if spec.sealed is not None:
        # The plaintext inside data.sealed: the format is in the summary and docs/protocol.md.
        sealed = {"x-sealed-contents": _ref(spec.sealed)}
    return {
        "parameters": {name: {"$ref": f"#/components/parameters/{name}"} for name in ("hall", "device")},
        "publish": {
            "operationId": f"publish{_camel(spec.name)}Event",
            "summary": spec.summary,
            "bindings": {"mqtt": {"qos": 1, "retain": False}},
            "message": {
                "name": f"{_camel(spec.name)}Event",
                "payload": {"allOf": [_ref(Event), {"properties": {"data": _ref(spec.data)}}]},
            },
        },
        "x-sent-by-kinds": senders,
        **sealed,
    }


def _kind(spec: kinds.KindSpec) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for attribute in spec.attributes:
        schema: dict[str, Any] = {"type": attribute.type, "description": attribute.description}
        for key, value in (
            ("minimum", attribute.minimum),
            ("maximum", attribute.maximum),
            ("pattern", attribute.pattern),
        ):
            if value is not None:
                schema[key] = value
        attributes[attribute.name] = schema
    required = [attribute.name for attribute in spec.attributes if attribute.required]
    return {
        "summary": spec.summary,
        "commands": [kinds.ANNOUNCE_COMMAND, *spec.commands],
        "events": ["heartbeat", *spec.events],
        "attributes": {"type": "object", "properties": attributes, "required": required},
        "stateData": _ref(spec.state_data) if spec.state_data is not None else {"type": "object"},
    }


def document() -> dict[str, Any]:
    parameter = {"schema": {"type": "string", "pattern": SEGMENT_PATTERN}}
    channels: dict[str, Any] = {}
    for channel, (device_sends, model, retained, qos, summary) in CHANNELS.items():
        verb = "publish" if device_sends else "subscribe"
        names = ["hall", "device"] + (["name"] if "{name}" in channel else [])
        channels[_template(channel)] = {
            "parameters": {name: {"$ref": f"#/components/parameters/{name}"} for name in names},
            verb: _operation(model, retained, qos, summary, verb),
        }
    channels[_template("status", topics.CONTROLLER_ID)] = {
        "parameters": {"hall": {"$ref": "#/components/parameters/hall"}},
        "subscribe": {
            "operationId": "subscribeControllerStatus",
            "summary": "the controller's retained birth/death; re-announce on online with a new instance",
            "bindings": {"mqtt": {"qos": 1, "retain": True}},
            "message": {"$ref": "#/components/messages/Status"},
        },
    }
    for command in kinds.COMMANDS.values():
        channels[_template(f"cmd/{command.name}")] = _command_channel(command)
    for event in kinds.EVENTS.values():
        channels[_template(f"evt/{event.name}")] = _event_channel(event)
    return {
        "asyncapi": "2.6.0",
        "info": {
            "title": "Service hall device contract",
            "version": str(PROTOCOL_VERSION),
            "description": (
                "Every device of a hall and its controller over MQTT. Prose: docs/protocol.md. Payloads are "
                f"UTF-8 JSON objects of at most {MAX_PAYLOAD_BYTES} bytes; unknown fields are refused. "
                "Per kind: x-device-kinds; per command: the cmd/<name> channel's x-completion."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {
            "parameters": {
                "hall": {"description": "the hall id", **parameter},
                "device": {"description": "the device id, unique in its hall", **parameter},
                "name": {"description": "command or event name", **parameter},
            },
            "messages": {
                model.__name__: {
                    "name": model.__name__,
                    "title": (model.__doc__ or model.__name__).splitlines()[0],
                    "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
                }
                for model in MODELS
            },
            "schemas": _schemas(),
        },
        "x-completion-codes": {code.value: CODE_MEANINGS[code] for code in CompletionCode},
        "x-device-kinds": {spec.kind: _kind(spec) for spec in kinds.KINDS},
    }


CODE_MEANINGS = {
    CompletionCode.SUCCESS: "done",
    CompletionCode.CANCELED: "canceled before it was done",
    CompletionCode.DEVICE_NOT_READY: "the device cannot do it now (door open, no paper loaded, busy)",
    CompletionCode.HARDWARE_ERROR: "the hardware failed doing it",
    CompletionCode.TIME_OUT: "too late: expired on arrival, or no completion in time (controller)",
    CompletionCode.INVALID_DATA: "the arguments are wrong",
    CompletionCode.UNSUPPORTED_COMMAND: "the device has no such command",
    CompletionCode.INTERNAL_ERROR: "the device's software failed",
}


def render() -> str:
    header = "# Generated by `python -m devices.protocol.asyncapi` from devices/protocol; do not edit.\n"
    return header + str(yaml.safe_dump(document(), allow_unicode=True, sort_keys=False, width=110))


def main() -> None:
    DOCUMENT.write_text(render())
    sys.stdout.write(f"wrote {DOCUMENT}\n")


if __name__ == "__main__":
    main()

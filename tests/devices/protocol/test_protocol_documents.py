"""docs/protocol.md and docs/asyncapi.yaml agree with the code of the contract."""

from __future__ import annotations

import inspect
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from devices.protocol import asyncapi, lockers, payloads, queue, topics, window
from devices.protocol.device import REMEMBERED_REQUESTS
from devices.protocol.health import HealthCode
from devices.protocol.payloads import (
    ANNOUNCE_COMMAND,
    MAX_PAYLOAD_BYTES,
    CompletionCode,
    Payload,
    PayloadError,
    Status,
    decode,
)

DOCS = Path(__file__).resolve().parents[3] / "docs"
PROSE = (DOCS / "protocol.md").read_text()


def test_asyncapi_file_is_what_the_code_generates() -> None:
    on_disk = (DOCS / "asyncapi.yaml").read_text()
    assert on_disk == asyncapi.render(), "run: .venv/bin/python -m devices.protocol.asyncapi"


def test_every_asyncapi_channel_is_a_topic_of_the_code_and_back() -> None:
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    seen = set()
    for template in document["channels"]:
        concrete = template.format(hall="hall-01", device="printer-1", name="print")
        parsed = topics.parse(concrete)
        assert parsed.hall == "hall-01"
        rebuilt = topics.topic(parsed.hall, parsed.device, parsed.channel, parsed.name)
        assert rebuilt == concrete
        seen.add(parsed.channel)
    assert seen == set(topics.Channel)


def test_asyncapi_schemas_list_exactly_the_model_fields() -> None:
    schemas = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())["components"]["schemas"]
    for model in asyncapi.MODELS:
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)


def test_prose_names_every_channel_code_and_field() -> None:
    for channel in topics.Channel:
        assert re.search(rf"hall/v1/<hall>/<device>/{channel.value}\b", PROSE), channel
    assert "hall/v1/<hall>/$controller/status" in PROSE
    for code in CompletionCode:
        assert f"| `{code.value}` |" in PROSE, code
    for health in HealthCode:
        assert f"`{health.value}`" in PROSE, health
    table = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\| (\w+) \| (.+) \|$", PROSE, flags=re.MULTILINE)
    }
    for model in asyncapi.MODELS:
        row = table[model.__name__]
        for field in model.model_fields:
            assert f"`{field}`" in row, (model.__name__, field)
    assert f"{MAX_PAYLOAD_BYTES:,}" in PROSE
    assert f"last {REMEMBERED_REQUESTS:,} ids" in PROSE


# -- issue 21: the document is the whole contract, per device kind -------------------------------------------

DOCUMENT = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
SCHEMAS = DOCUMENT["components"]["schemas"]
CONTRACT_MODULES = (payloads, queue, lockers, window)


def contract_models() -> list[type[BaseModel]]:
    """Every pydantic model defined in the contract's modules, found by looking, not from asyncapi.py."""
    found = []
    for module in CONTRACT_MODULES:
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == module.__name__ and value is not Payload:
                found.append(value)
    return found


def wire_names(model: type[BaseModel], required_only: bool) -> set[str]:
    return {
        info.alias or name
        for name, info in model.model_fields.items()
        if not required_only or info.is_required()
    }


def test_every_model_of_the_contract_is_documented_field_by_field_with_what_is_required() -> None:
    models = contract_models()
    assert len(models) >= 31  # the envelopes, the queue's, the lockers' and the window devices' payloads
    assert {window.CardReadData, window.CardHolder, window.CapturePart} <= set(models)
    envelopes = {"Status", "Description", "State", "HealthIssue", "Heartbeat", "Event", "Command", "Response"}
    for model in models:
        schema = SCHEMAS.get(model.__name__)
        assert schema is not None, f"{model.__name__} is not in docs/asyncapi.yaml"
        assert set(schema["properties"]) == wire_names(model, required_only=False), model.__name__
        required = wire_names(model, required_only=True)
        if model.__name__ in envelopes:
            required |= {"v"}  # the controller refuses an envelope without it
        assert set(schema.get("required", [])) == required, model.__name__
        assert schema.get("additionalProperties") is False, f"{model.__name__}: unknown fields are refused"


def test_a_message_without_v_is_refused_as_the_document_says() -> None:
    body = b'{"status": "online", "instance": "a-1"}'
    with pytest.raises(PayloadError):
        decode(Status, body)
    assert "v" in SCHEMAS["Status"]["required"]


def test_every_command_and_event_of_every_kind_has_its_channel_and_payload() -> None:
    channels = DOCUMENT["channels"]
    kinds_doc = DOCUMENT["x-device-kinds"]
    commands = {value for name, value in vars(queue).items() if name in QUEUE_COMMANDS}
    commands |= {lockers.UNLOCK, lockers.SHOW, ANNOUNCE_COMMAND, window.CAPTURE, window.CAPTURE_PART}
    events = {queue.KEY_EVENT, queue.RATED_EVENT, lockers.DOOR_EVENT, lockers.BOARD_EVENT}
    events |= {lockers.PICKUP_ENTRY_EVENT, window.CARD_READ_EVENT, window.CARD_REFUSED_EVENT}
    for name in commands:
        channel = channels[f"hall/v1/{{hall}}/{{device}}/cmd/{name}"]
        assert channel["subscribe"]["bindings"]["mqtt"] == {"qos": 1, "retain": False}
        completion = channel["x-completion"]
        assert completion["timeoutSeconds"] > 0 and "success" in completion["codes"]
        assert set(completion["codes"]) <= {code.value for code in CompletionCode}
    for name in events:
        channel = channels[f"hall/v1/{{hall}}/{{device}}/evt/{name}"]
        assert channel["publish"]["bindings"]["mqtt"] == {"qos": 1, "retain": False}
    kinds_named = {queue.QUEUE_DISPLAY, queue.WINDOW_LED, queue.CALLER_KEYPAD, queue.EVALUATOR}
    kinds_named |= {
        queue.TICKET_PRINTER,
        lockers.KIND,
        "kiosk",
        window.WINDOW_ID_READER,
        window.DOCUMENT_CAMERA,
    }
    assert set(kinds_doc) == kinds_named
    for kind, spec in kinds_doc.items():
        for name in spec["commands"]:
            assert f"hall/v1/{{hall}}/{{device}}/cmd/{name}" in channels, (kind, name)
        for name in spec["events"]:
            assert f"hall/v1/{{hall}}/{{device}}/evt/{name}" in channels, (kind, name)
    # the argument and data models the code validates are the ones the channels name
    assert channel_model(channels, "cmd/unlock", "args") == "UnlockArgs"
    assert channel_model(channels, "cmd/show-calls", "args") == "DisplayShow"
    assert channel_model(channels, "cmd/show-call", "args") == "LedShow"
    assert channel_model(channels, "cmd/print-ticket", "args") == "TicketSlip"
    assert channel_model(channels, "evt/key", "data") == "KeyPress"
    assert channel_model(channels, "evt/rated", "data") == "Rated"
    assert channel_model(channels, "evt/door", "data") == "DoorEventData"
    assert kinds_doc[lockers.KIND]["stateData"]["$ref"].endswith("/BankStateData")
    for kind in (queue.WINDOW_LED, queue.CALLER_KEYPAD, queue.EVALUATOR):
        assert kinds_doc[kind]["attributes"]["required"] == [queue.WINDOW_ATTRIBUTE]
    # the window's counter devices: the same binding, their own channels
    for kind in (window.WINDOW_ID_READER, window.DOCUMENT_CAMERA):
        assert kinds_doc[kind]["attributes"]["required"] == [window.WINDOW_ATTRIBUTE]
    assert kinds_doc[window.WINDOW_ID_READER]["events"] == ["heartbeat", "card-read", "card-refused"]
    assert kinds_doc[window.DOCUMENT_CAMERA]["commands"] == ["announce", "capture", "capture-part"]
    assert channel_model(channels, "cmd/capture", "args") == "CaptureArgs"
    assert channel_model(channels, "cmd/capture-part", "args") == "PartArgs"
    assert channel_model(channels, "evt/card-read", "data") == "CardReadData"
    assert channel_model(channels, "evt/card-refused", "data") == "CardRefusedData"
    read = channels["hall/v1/{hall}/{device}/evt/card-read"]
    assert read["x-sealed-contents"]["$ref"].endswith("/CardHolder")
    for name, result in ((window.CAPTURE, "CaptureTaken"), (window.CAPTURE_PART, "CapturePart")):
        completion = channels[f"hall/v1/{{hall}}/{{device}}/cmd/{name}"]["x-completion"]
        assert completion["result"]["$ref"].endswith(f"/{result}")


def test_a_whole_camera_part_fits_a_completion() -> None:
    # a whole part, base64 in a completion with its fields, fits a payload
    part = window.CapturePart(capture_id="c-1", index=63, data="A" * (4 * -(-window.PART_BYTES // 3)))
    answer = payloads.Response(
        request_id="r" * 64,
        command=window.CAPTURE_PART,
        phase="completion",
        code="success",
        result=part.model_dump(mode="json"),
        message="m" * 200,
    )
    assert len(answer.encode()) <= MAX_PAYLOAD_BYTES


QUEUE_COMMANDS = {"SHOW_CALLS", "SHOW_CALL", "ASK_RATING", "END_RATING", "PRINT_TICKET"}


def channel_model(channels: dict[str, Any], suffix: str, field: str) -> str:
    channel = channels[f"hall/v1/{{hall}}/{{device}}/{suffix}"]
    operation = channel.get("subscribe") or channel["publish"]
    ref: str = operation["message"]["payload"]["allOf"][1]["properties"][field]["$ref"]
    return ref.rsplit("/", 1)[1]


def test_the_devices_of_this_project_describe_themselves_as_documented_kinds() -> None:
    kinds_doc = DOCUMENT["x-device-kinds"]
    sources = [
        Path("firmware_sim/queue/devices.py"),
        Path("devices/lockboard/gateway.py"),
        Path("kiosk/wiring.py"),
        Path("devices/window/reader.py"),
        Path("devices/window/camera.py"),
    ]
    root = DOCS.parent
    for source in sources:
        text = (root / source).read_text()
        for match in re.finditer(r"kind=(contract\.\w+|lockers\.KIND|\"\w+\")", text):
            token = match.group(1)
            value = (
                token.strip('"')
                if token.startswith('"')
                else getattr(
                    (window if "window" in source.parts else queue)
                    if token.startswith("contract.")
                    else lockers,
                    token.split(".")[1],
                )
            )
            assert value in kinds_doc, (source, value)


def test_the_sealing_example_in_the_prose_seals_a_read_the_case_service_opens() -> None:
    """The Python lines under "Sealing a read", run as a maker would copy them (with their imports)."""
    found = re.search(r"With Python's `cryptography`:\n\n```python\n(.*?)```", PROSE, flags=re.DOTALL)
    assert found is not None
    imports = """
import base64, json, os
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
"""
    case_service = window.reader_key(secrets.token_bytes(32))
    holder = {"name": "𠮷田花", "id_number": "11010519491231002X", "sex": "女", "valid_until": "2040-05-01"}
    names: dict[str, Any] = {"read_key": window.public_key_text(case_service), "holder": holder}
    exec(imports + found.group(1), names)
    opened = window.open_read(case_service, window.CardReadData(sealed=names["sealed"]))
    assert opened.model_dump(exclude={"v"}, exclude_defaults=True) == holder

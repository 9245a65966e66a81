"""A hall device written from docs/protocol.md and docs/asyncapi.yaml alone, as a device maker would.

It imports nothing of the project: plain paho-mqtt, PyYAML, `cryptography` (the window reader's seal) and the
standard library. Topics, QoS, retained
flags, the announce order, the device kinds' attributes and commands, and every payload's shape are read
from asyncapi.yaml at run time; every message it sends is checked against the document's schema before it
goes out, and every command it receives is checked against the command's channel (a message outside the
document is a test failure, not something quietly accepted). tests/hall_controller/test_devices_from_the_
documents.py runs one of each kind against the real controller. `seal_card` and `DocCamera` are the window's
ID-card reader and document camera as docs/protocol.md ("The window's devices") describes them.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from paho.mqtt.enums import CallbackAPIVersion

ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
REMEMBERED_REQUESTS = 1000  # docs/protocol.md: "Remember the last 1,000 ids"


class ContractError(AssertionError):
    """A message outside the document."""


class Contract:
    """asyncapi.yaml, read as a device maker reads it."""

    def __init__(self, path: Path = ASYNCAPI) -> None:
        self.doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.schemas: dict[str, Any] = self.doc["components"]["schemas"]

    def _channel(self, suffix: str) -> tuple[str, dict[str, Any]]:
        for template, channel in self.doc["channels"].items():
            if template.startswith("hall/v1/{hall}/{device}/") and template.endswith("/" + suffix):
                return template, channel
        raise KeyError(suffix)

    def channel(self, suffix: str) -> dict[str, Any]:
        """`status`, `cmd/unlock`, `evt/key`…; an undocumented name: `cmd/{name}` or `evt/{name}`."""
        try:
            return self._channel(suffix)[1]
        except KeyError:
            return self._channel(suffix.split("/", maxsplit=1)[0] + "/{name}")[1]

    def topic(self, hall: str, device: str, suffix: str) -> str:
        template = self._channel(suffix)[0] if "/" not in suffix else "hall/v1/{hall}/{device}/" + suffix
        return template.format(hall=hall, device=device)

    def controller_status(self, hall: str) -> str:
        template: str = next(t for t in self.doc["channels"] if "$controller" in t)
        return template.format(hall=hall)

    def operation(self, suffix: str) -> dict[str, Any]:
        channel = self.channel(suffix)
        found: dict[str, Any] = channel.get("publish") or channel["subscribe"]
        return found

    def binding(self, suffix: str) -> tuple[int, bool]:
        mqtt = self.operation(suffix)["bindings"]["mqtt"]
        return int(mqtt["qos"]), bool(mqtt["retain"])

    def payload_schema(self, suffix: str) -> dict[str, Any]:
        message = self.operation(suffix)["message"]
        if "$ref" in message:
            message = self.resolve(message)
        schema: dict[str, Any] = message["payload"]
        return schema

    def kind(self, kind: str) -> dict[str, Any]:
        found: dict[str, Any] = self.doc["x-device-kinds"][kind]
        return found

    def completion(self, command: str) -> dict[str, Any]:
        found: dict[str, Any] = self.channel(f"cmd/{command}").get("x-completion", {})
        return found

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        target: Any = self.doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        resolved: dict[str, Any] = target
        return resolved

    # -- a small JSON-schema check: the keywords asyncapi.yaml uses --------------------------------------
    def check(self, schema: dict[str, Any], value: Any, where: str = "payload") -> None:
        problems = self.problems(schema, value, where)
        if problems:
            raise ContractError("; ".join(problems))

    def problems(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        if "$ref" in schema:
            return self.problems(self.resolve(schema), value, where)
        found: list[str] = []
        for part in schema.get("allOf", []):
            found += self.problems(part, value, where)
        if "anyOf" in schema and all(self.problems(part, value, where) for part in schema["anyOf"]):
            found.append(f"{where}: matches none of anyOf")
        if "const" in schema and value != schema["const"]:
            found.append(f"{where}: must be {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where}: {value!r} not one of {schema['enum']}")
        kind = schema.get("type")
        if kind is not None and not _is_type(value, kind):
            return [*found, f"{where}: {value!r} is not {kind}"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bounds = {
                "minimum": value >= schema.get("minimum", value),
                "maximum": value <= schema.get("maximum", value),
                "exclusiveMinimum": "exclusiveMinimum" not in schema or value > schema["exclusiveMinimum"],
                "exclusiveMaximum": "exclusiveMaximum" not in schema or value < schema["exclusiveMaximum"],
            }
            found += [
                f"{where}: {value} breaks {key} {schema[key]}" for key, kept in bounds.items() if not kept
            ]
        if isinstance(value, str):
            if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
                found.append(f"{where}: length {len(value)} out of bounds")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                found.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if isinstance(value, list):
            if len(value) > schema.get("maxItems", len(value)):
                found.append(f"{where}: too many items")
            if "items" in schema:
                for index, item in enumerate(value):
                    found += self.problems(schema["items"], item, f"{where}[{index}]")
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    found.append(f"{where}: {name} is required")
            extra = schema.get("additionalProperties", True)
            for name, item in value.items():
                if "propertyNames" in schema:
                    found += self.problems(schema["propertyNames"], name, f"{where} key")
                if name in properties:
                    found += self.problems(properties[name], item, f"{where}.{name}")
                elif extra is False and not _declared_elsewhere(schema, name):
                    found.append(f"{where}: unknown field {name}")
                elif isinstance(extra, dict):
                    found += self.problems(extra, item, f"{where}.{name}")
        return found


def _declared_elsewhere(schema: dict[str, Any], name: str) -> bool:
    return any(name in part.get("properties", {}) for part in schema.get("allOf", []))


def _is_type(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[kind]


# A command handler: args → (completion code, result). Raise ValueError for invalidData, Refused for a code
# with a message.
Handler = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


class Refused(Exception):  # noqa: N818 - a completion, not a failure of the device
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class DocDevice:
    """One device of `kind`, speaking only what the document says."""

    def __init__(
        self,
        contract: Contract,
        host: str,
        port: int,
        hall: str,
        device_id: str,
        kind: str,
        *,
        attributes: dict[str, Any] | None = None,
        heartbeat_seconds: float = 2.0,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.contract = contract
        self.hall, self.device_id, self.kind = hall, device_id, kind
        self.attributes = attributes or {}
        contract.check(contract.kind(kind)["attributes"], self.attributes, "attributes")
        self.heartbeat_seconds = heartbeat_seconds
        self.instance = secrets.token_hex(8)
        self.handlers: dict[str, Handler] = {}
        self.received: list[tuple[str, dict[str, Any]]] = []  # (command, args), in order
        self.changed = threading.Condition()
        self.state_data: dict[str, Any] = {}
        self.issues: list[dict[str, Any]] = []
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._answers: OrderedDict[str, list[bytes]] = OrderedDict()
        self._controller_instance: str | None = None
        self._stop = threading.Event()
        self._started = time.monotonic()
        # Any client id: the broker names the session after the login (docs/protocol.md, "Security").
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"{hall}.{device_id}")
        if username:
            self.client.username_pw_set(username, password)
        qos, retain = contract.binding("status")
        self.client.will_set(
            self._topic("status"), self._body("status", self._status("offline")), qos, retain
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._host, self._port = host, port

    # -- life ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.client.connect(self._host, self._port, keepalive=max(5, int(self.heartbeat_seconds * 2)))
        self.client.loop_start()
        threading.Thread(target=self._beat, name=f"beat-{self.device_id}", daemon=True).start()

    def stop(self) -> None:
        """A clean stop: offline first (the will is for a crash)."""
        self._stop.set()
        qos, retain = self.contract.binding("status")
        self.client.publish(self._topic("status"), self._body("status", self._status("offline")), qos, retain)
        self.client.loop_stop()
        self.client.disconnect()

    def on(self, command: str, handler: Handler) -> None:
        assert command in self.contract.kind(self.kind)["commands"], f"{self.kind} has no {command}"
        self.handlers[command] = handler

    # -- sending ------------------------------------------------------------------------------------------
    def announce(self) -> None:
        """desc, state, then status online, all retained (docs/protocol.md, "Connecting and announcing")."""
        spec = self.contract.kind(self.kind)
        description = {
            "v": 1,
            "instance": self.instance,
            "kind": self.kind,
            "model": "doc-built",
            "firmware": "1.0",
            "commands": spec["commands"],
            "events": spec["events"],
            "heartbeat_seconds": self.heartbeat_seconds,
            "attributes": self.attributes,
        }
        self._send("desc", description)
        self.publish_state()
        self._send("status", self._status("online"))

    def publish_state(
        self, data: dict[str, Any] | None = None, issues: list[dict[str, Any]] | None = None
    ) -> None:
        if data is not None:
            self.contract.check(self.contract.kind(self.kind)["stateData"], data, "state.data")
            self.state_data = data
        if issues is not None:
            self.issues = issues
        self._sequenced("state", {"data": self.state_data, "issues": self.issues})

    def publish_event(self, name: str, data: dict[str, Any]) -> None:
        assert name in self.contract.kind(self.kind)["events"], f"{self.kind} sends no {name}"
        self._sequenced(f"evt/{name}", {"data": data})

    def _sequenced(self, suffix: str, fields: dict[str, Any]) -> None:
        with self._seq_lock:  # numbered and published in one order
            self._seq += 1
            self._send(
                suffix, {"v": 1, "instance": self.instance, "seq": self._seq, "ts": time.time(), **fields}
            )

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            if self.client.is_connected():
                self._sequenced("evt/heartbeat", {"uptime": time.monotonic() - self._started})

    def _status(self, presence: str) -> dict[str, Any]:
        return {"v": 1, "status": presence, "instance": self.instance}

    def _topic(self, suffix: str) -> str:
        return self.contract.topic(self.hall, self.device_id, suffix)

    def _body(self, suffix: str, body: dict[str, Any]) -> bytes:
        self.contract.check(self.contract.payload_schema(suffix), body, suffix)
        return json.dumps(body, ensure_ascii=False).encode()

    def _send(self, suffix: str, body: dict[str, Any]) -> None:
        qos, retain = self.contract.binding(suffix)
        self.client.publish(self._topic(suffix), self._body(suffix, body), qos, retain)

    # -- receiving ----------------------------------------------------------------------------------------
    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            return
        qos, _retain = self.contract.binding("cmd/{name}")
        client.subscribe([(self._topic("cmd/+"), qos), (self.contract.controller_status(self.hall), 1)])
        self.announce()

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        if not message.payload:
            return
        body: dict[str, Any] = json.loads(message.payload)
        if message.topic == self.contract.controller_status(self.hall):
            # "When the controller's status says online with an instance you have not seen, announce again."
            if body.get("status") == "online" and body.get("instance") != self._controller_instance:
                self._controller_instance = body.get("instance")
                self.announce()
            return
        name = message.topic.rsplit("/", 1)[1]
        self._command(name, body)

    def _command(self, name: str, body: dict[str, Any]) -> None:
        request_id = str(body.get("request_id", ""))
        if request_id in self._answers:  # idempotent by request_id: answer again, never execute twice
            qos, retain = self.contract.binding("resp")
            for raw in self._answers[request_id]:
                self.client.publish(self._topic("resp"), raw, qos, retain)
            return
        try:
            self.contract.check(self.contract.payload_schema(f"cmd/{name}"), body, f"cmd/{name}")
            contract_ok = True
        except ContractError:
            contract_ok = False
        answers: list[bytes] = []

        def answer(
            phase: str, code: str | None = None, result: dict[str, Any] | None = None, message: str = ""
        ) -> None:
            reply: dict[str, Any] = {"v": 1, "request_id": request_id, "command": name, "phase": phase}
            if code is not None:
                reply |= {"code": code, "result": result or {}}
            if message:
                reply["message"] = message
            raw = self._body("resp", reply)
            answers.append(raw)
            qos, retain = self.contract.binding("resp")
            self.client.publish(self._topic("resp"), raw, qos, retain)

        answer("ack")
        args = body.get("args", {})
        with self.changed:
            self.received.append((name, args))
            self.changed.notify_all()
        if body.get("expires") is not None and time.time() > body["expires"]:
            answer("completion", "timeOut")
        elif name == "announce":
            self.announce()
            answer("completion", "success")
        elif name not in self.handlers:
            answer("completion", "unsupportedCommand")
        elif not contract_ok:
            answer("completion", "invalidData")
        else:
            message = ""
            try:
                code, result = self.handlers[name](args)
            except ValueError:
                code, result = "invalidData", {}
            except Refused as refused:
                code, result, message = refused.code, {}, refused.message
            answer("completion", code, result, message)
        self._answers[request_id] = answers
        while len(self._answers) > REMEMBERED_REQUESTS:
            self._answers.popitem(last=False)

    def wait_for(
        self, command: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        """The newest `command` whose args satisfy `predicate` (waits for one)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for name, args in reversed(self.received):
                    if name == command and predicate(args):
                        found: dict[str, Any] = args
                        return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{self.device_id}: no {command} as expected; got {self.received[-5:]}"
                    )
                self.changed.wait(left)


# -- the window's devices (docs/protocol.md, "The window's devices: ID-card reader and document camera") ---

SEAL_INFO = b"hall window card read v1"  # "the ASCII bytes `hall window card read v1`"
PART_BYTES = 44_000  # "the JPEG's bytes from index × 44,000 up to (index + 1) × 44,000"
NO_PAGE = "no-page"


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def seal_card(contract: Contract, read_key: str, holder: dict[str, Any]) -> str:
    """`sealed` of evt/card-read: `holder` (checked against the channel's x-sealed-contents) sealed to the
    case service's public key, steps 1-6."""
    contract.check(contract.channel("evt/card-read")["x-sealed-contents"], holder, "sealed contents")
    recipient = X25519PublicKey.from_public_bytes(base64.b64decode(read_key, validate=True))
    ephemeral = X25519PrivateKey.generate()
    info = SEAL_INFO + _raw(ephemeral.public_key()) + _raw(recipient)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        ephemeral.exchange(recipient)
    )
    nonce = os.urandom(12)
    box = AESGCM(key).encrypt(nonce, json.dumps(holder, ensure_ascii=False).encode(), SEAL_INFO)
    return base64.b64encode(_raw(ephemeral.public_key()) + nonce + box).decode()


class DocCamera:
    """A document camera's `capture` and `capture-part` on `device`; `page` is the JPEG in view (None: no
    page). Captures are kept, the last few, and sent in parts of PART_BYTES."""

    KEPT = 4

    def __init__(self, device: DocDevice) -> None:
        self.device = device
        self.page: bytes | None = None
        self.kept: OrderedDict[str, bytes] = OrderedDict()
        self.parts_sent: list[tuple[str, int]] = []
        self._count = 0
        device.on("capture", self.capture)
        device.on("capture-part", self.part)

    def capture(self, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if self.page is None:
            raise Refused("invalidData", NO_PAGE)
        if len(self.page) > args.get("budget", 250_000):
            raise Refused("hardwareError", "the page does not fit the budget")
        self._count += 1
        capture_id = f"c-{self._count}"
        self.kept[capture_id] = self.page
        while len(self.kept) > self.KEPT:
            self.kept.popitem(last=False)
        width, height = _jpeg_size(self.page)
        taken = {
            "capture_id": capture_id,
            "content_type": "image/jpeg",
            "size": len(self.page),
            "parts": math.ceil(len(self.page) / PART_BYTES),
            "width": width,
            "height": height,
            "blank": False,
        }
        self.device.contract.check(self.device.contract.completion("capture")["result"], taken, "result")
        return "success", taken

    def part(self, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        page = self.kept.get(args["capture_id"])
        start = args["index"] * PART_BYTES
        if page is None or start >= len(page):
            raise Refused("invalidData", "no such capture or part")
        self.parts_sent.append((args["capture_id"], args["index"]))
        data = base64.b64encode(page[start : start + PART_BYTES]).decode()
        part = {"capture_id": args["capture_id"], "index": args["index"], "data": data}
        self.device.contract.check(self.device.contract.completion("capture-part")["result"], part, "result")
        return "success", part


def _jpeg_size(jpeg: bytes) -> tuple[int, int]:
    """Width and height from the JPEG's start-of-frame marker."""
    at = 2
    while at + 9 < len(jpeg):
        marker, length = jpeg[at + 1], int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(jpeg[at + 7 : at + 9], "big"), int.from_bytes(jpeg[at + 5 : at + 7], "big")
        at += 2 + length
    raise ValueError("not a JPEG with a frame")

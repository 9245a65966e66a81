"""Issue 21: a device of every kind, written from the documents alone, works with the real controller.

The devices (tests/third_party/doc_device.py) import nothing of the project: they read topics, bindings,
kinds and payload schemas from docs/asyncapi.yaml and check every message they send or receive against it.
Here they run against the controller with its queue and lockers extensions, on Mosquitto and on the
embedded broker, and the test looks at what a person would: the ticket printed, the call on the main
screen and the LED, the rating recorded, the locker compartment filled, a jammed door refused with the
documented error, a forced door on the alarm list, a card read at the window reaching that window's clerk
sealed as the document says (the case service's key opens it), the page under the window's camera reaching
the clerk whole. The HTTP answers read are the documented shapes.
"""

from __future__ import annotations

import ast
import base64
import functools
import io
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from PIL import Image

from devices.protocol import window as window_contract
from hall_controller.app import create_app
from hall_controller.controller import HallController
from hall_controller.lockers.extension import LockersExtension
from hall_controller.lockers.notify import FileSmsProvider
from hall_controller.lockers.ports import InMemoryCaseClient
from hall_controller.queue.config import demo_config
from hall_controller.queue.extension import QueueExtension
from hall_controller.window.extension import WindowDevicesExtension
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers, wait_until
from tests.third_party import doc_device
from tests.third_party.doc_device import Contract, DocCamera, DocDevice

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BANK = "locker-bank-07"
ID_NUMBER = "11010519491231002X"
READER, CAMERA = "window-01-idreader", "window-01-doccam"
# The case service's card-read key pair; the public half is what a reader is configured with.
CASE_SERVICE_KEY = window_contract.reader_key(secrets.token_bytes(32))
READ_KEY = window_contract.public_key_text(CASE_SERVICE_KEY)


@dataclass
class Hall:
    client: TestClient
    controller: HallController
    cases: InMemoryCaseClient
    devices: dict[str, DocDevice]
    camera: DocCamera

    def queue(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, f"/api/v1/ext/queue{path}", **kwargs)

    def lockers(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, f"/api/v1/ext/lockers{path}", **kwargs)


class Bank:
    """The locker gateway's hardware, as simple as it gets: doors that open unless jammed."""

    def __init__(self, sizes: list[str]) -> None:
        self.doors = {number: {"open": False, "occupied": False} for number in range(1, len(sizes) + 1)}
        self.sizes = sizes
        self.jammed: set[int] = set()
        self.device: DocDevice | None = None

    def state(self) -> dict[str, Any]:
        return {
            "compartments": [
                {"number": n, "size": self.sizes[n - 1], **door, "reachable": True}
                for n, door in self.doors.items()
            ],
            "boards_offline": [],
            "message": "",
        }

    def door(self, number: int, change: str) -> None:
        """A door changes: the event, then the bank's state right after it (docs: a closing waits for it)."""
        assert self.device is not None
        self.device.publish_event(
            "door", {"compartment": number, "change": change, "occupied": self.doors[number]["occupied"]}
        )
        self.device.publish_state(self.state())

    def unlock(self, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        number = args["compartment"]
        if number not in self.doors:
            raise ValueError(f"no compartment {number}")
        if number in self.jammed:  # the pulse went out, the door stayed shut
            return "hardwareError", {"outcome": "OPEN_NOT_DETECTED"}
        self.doors[number]["open"] = True
        self.door(number, "opened")
        return "success", {"compartment": number, "outcome": "opened"}

    def person_puts_item_and_closes(self, number: int) -> None:
        self.doors[number] = {"open": False, "occupied": True}
        self.door(number, "closed")


def shown(answer: dict[str, Any]) -> tuple[str, int] | None:
    latest = answer.get("latest")
    return (latest["number"], latest["window"]) if latest else None


@contextmanager
def running_hall(broker: Broker, tmp_path: Path, bank: Bank) -> Iterator[Hall]:
    hall_id = new_hall_id()
    contract = Contract()
    settings = controller_settings(broker.url, tmp_path, hall_id)
    cases = InMemoryCaseClient()
    lockers = functools.partial(
        LockersExtension, cases=cases, sms=FileSmsProvider(tmp_path / "sms.jsonl"), unlock_timeout=6.0
    )
    queue = QueueExtension.factory(config=demo_config(), deliver_ratings=False)
    app = create_app(settings, [queue, lockers, WindowDevicesExtension])
    url = urlsplit(broker.url)
    host, port = url.hostname or "127.0.0.1", url.port or 1883

    def device(device_id: str, kind: str, **attributes: Any) -> DocDevice:
        return DocDevice(contract, host, port, hall_id, device_id, kind, attributes=attributes)

    devices = {
        "main-display": device("main-display", "queue_display"),
        "window-01-led": device("window-01-led", "window_led", window=1),
        "window-01-keypad": device("window-01-keypad", "caller_keypad", window=1),
        "window-01-evaluator": device("window-01-evaluator", "evaluator", window=1),
        "ticket-printer-01": device("ticket-printer-01", "ticket_printer"),
        BANK: device(BANK, "locker_bank", sizes=",".join(bank.sizes), compartments=len(bank.sizes)),
        "kiosk-01": device("kiosk-01", "kiosk"),
        READER: device(READER, "window_id_reader", window=1),
        CAMERA: device(CAMERA, "document_camera", window=1),
    }
    camera = DocCamera(devices[CAMERA])
    bank.device = devices[BANK]
    bank.device.state_data = bank.state()
    ok: tuple[str, dict[str, Any]] = ("success", {})
    for name in ("main-display",):
        devices[name].on("show-calls", lambda _args: ok)
    for name in ("window-01-led", "window-01-keypad"):
        devices[name].on("show-call", lambda _args: ok)
    devices["window-01-evaluator"].on("ask-rating", lambda _args: ok)
    devices["window-01-evaluator"].on("end-rating", lambda _args: ok)
    devices["ticket-printer-01"].on("print-ticket", lambda _args: ("success", {"bytes": 412}))
    devices[BANK].on("unlock", bank.unlock)
    devices[BANK].on("show", lambda _args: ok)
    with ExitStack() as stack:
        client = stack.enter_context(
            TestClient(app, headers=staff_headers(settings, "clerk-7", ("clerk", "manager")))
        )
        for one in devices.values():
            one.start()
            stack.callback(one.stop)
        hall = Hall(client, app.state.controller, cases, devices, camera)

        def all_online() -> bool:
            # GET /api/v1/devices, as docs/protocol.md documents its answer
            listed = {d["device_id"]: d for d in client.get("/api/v1/devices").json()}
            return all(
                name in listed and listed[name]["availability"] == "online" and listed[name]["kind"] == d.kind
                for name, d in devices.items()
            )

        assert wait_until(all_online, timeout=30), client.get("/api/v1/devices").json()
        assert wait_until(lambda: len(hall.lockers("GET", "/compartments").json()) == len(bank.sizes), 15)
        yield hall


@pytest.fixture
def bank() -> Bank:
    return Bank(["S", "S", "M"])


def test_the_device_module_uses_nothing_of_the_project() -> None:
    tree = ast.parse(Path(doc_device.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "json",
        "re",
        "secrets",
        "threading",
        "time",
        "collections",
        "pathlib",
        "typing",
        "paho",
        "yaml",
        "base64",
        "math",
        "os",
        "cryptography",
    }


def test_the_devices_check_what_they_send_against_the_document() -> None:
    contract = Contract()
    status = contract.payload_schema("status")
    contract.check(status, {"v": 1, "status": "online", "instance": "a-1"})
    for wrong in (
        {"status": "online", "instance": "a-1"},  # no v: the controller refuses it
        {"v": 1, "status": "up", "instance": "a-1"},
        {"v": 1, "status": "online", "instance": "a-1", "colour": "red"},
    ):
        with pytest.raises(doc_device.ContractError):
            contract.check(status, wrong)
    door = contract.payload_schema("evt/door")
    event = {"v": 1, "instance": "a-1", "seq": 1, "ts": 0.0}
    contract.check(door, {**event, "data": {"compartment": 2, "change": "opened", "occupied": False}})
    with pytest.raises(doc_device.ContractError):
        contract.check(door, {**event, "data": {"compartment": 2, "change": "opened"}})
    with pytest.raises(doc_device.ContractError):  # an attribute a window device must have
        DocDevice(contract, "127.0.0.1", 1, "hall-01", "led-1", "window_led")
    unlock = contract.completion("unlock")
    assert unlock["codes"]["hardwareError"].startswith("pulse sent") and unlock["timeoutSeconds"] > 0
    # What a window reader seals is checked against the document too.
    doc_device.seal_card(contract, READ_KEY, {"name": "张三", "id_number": ID_NUMBER})
    for holder in ({"name": "张三", "id_number": ID_NUMBER.lower()}, {"name": "张三"}):
        with pytest.raises(doc_device.ContractError):
            doc_device.seal_card(contract, READ_KEY, holder)
    with pytest.raises(doc_device.ContractError):
        doc_device.seal_card(contract, READ_KEY, {"name": "张三", "id_number": ID_NUMBER, "phone": "1"})


def test_queue_devices_built_from_the_documents(
    any_broker: Broker, tmp_path: Path, bank: Bank, caplog: pytest.LogCaptureFixture
) -> None:
    with running_hall(any_broker, tmp_path, bank) as hall:
        keypad = hall.devices["window-01-keypad"]
        keypad.publish_event("key", {"key": "sign-in", "clerk": "clerk-7"})
        extension = hall.controller.extensions[0]
        assert isinstance(extension, QueueExtension)
        assert wait_until(lambda: extension.service.read(lambda b: b.windows[1].open), 10)

        ticket = hall.queue("POST", "/tickets", json={"service": "business", "id_number": ID_NUMBER})
        assert ticket.status_code == 201, ticket.text
        number = ticket.json()["number"]
        slip = hall.devices["ticket-printer-01"].wait_for("print-ticket", lambda a: a["number"] == number)
        assert slip["service_name"] == "企业开办" and ID_NUMBER not in str(slip)

        keypad.publish_event("key", {"key": "next"})
        hall.devices["main-display"].wait_for("show-calls", lambda a: shown(a) == (number, 1))
        for name in ("window-01-led", "window-01-keypad"):
            hall.devices[name].wait_for("show-call", lambda a: a.get("number") == number and a["window"] == 1)

        keypad.publish_event("key", {"key": "finish", "outcome": "受理"})
        evaluator = hall.devices["window-01-evaluator"]
        ask = evaluator.wait_for("ask-rating", lambda a: a.get("number") == number)
        evaluator.publish_event(
            "rated", {"rating_id": ask["rating_id"], "level": 5, "dimensions": {"attitude": 5}}
        )
        evaluator.wait_for("end-rating", lambda a: a["rating_id"] == ask["rating_id"])
        rating = extension.service.read(lambda b: b.ratings[ask["rating_id"]])
        assert rating.level is not None and (int(rating.level), rating.dimensions) == (5, {"attitude": 5})

        # A key the controller refuses comes back to the keypad's screen, as the document says.
        keypad.publish_event("key", {"key": "recall"})
        keypad.wait_for("show-call", lambda a: a.get("number") is None and a["text"] != "")
        assert hall.controller.rejected_total() == 0  # nothing any device sent was outside the contract

        # A guessed event name is not silently lost: the log names the events an evaluator does send.
        evaluator._sequenced("evt/rating", {"data": {"rating_id": ask["rating_id"], "level": 4}})
        assert wait_until(lambda: "sent evt/rating, which no evaluator has" in caplog.text, 10)
        assert "(that kind sends: rated;" in caplog.text


def test_a_locker_gateway_built_from_the_documents(any_broker: Broker, tmp_path: Path, bank: Bank) -> None:
    with running_hall(any_broker, tmp_path, bank) as hall:
        hall.lockers(
            "POST", "/demo-cases", json={"case_id": "C-1", "phone": "13912345678", "id_number": ID_NUMBER}
        )
        deposit = hall.lockers("POST", "/deposits", json={"case_id": "C-1", "size": "S", "clerk": "clerk-7"})
        assert deposit.status_code == 200, deposit.text
        first = deposit.json()["number"]
        bank.person_puts_item_and_closes(first)
        assert wait_until(lambda: hall.cases.states.get("C-1") == "ready_for_pickup", 15)

        # A jammed door, answered exactly as docs/lockers.md says: hardwareError, outcome OPEN_NOT_DETECTED,
        # no compartment in the result. The clerk is told, the compartment goes out of use (fault).
        hall.lockers(
            "POST", "/demo-cases", json={"case_id": "C-2", "phone": "13912345678", "id_number": ID_NUMBER}
        )
        bank.jammed = {number for number in bank.doors if number != first}
        refused = hall.lockers("POST", "/deposits", json={"case_id": "C-2", "size": "S", "clerk": "clerk-7"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "OPEN_NOT_DETECTED" and refused.json()["error"]["message"]
        states = {c["number"]: c["state"] for c in hall.lockers("GET", "/compartments").json()}
        assert list(states.values()).count("fault") == 1 and states[first] == "occupied"
        assert hall.cases.states["C-2"] == "ready_for_release"

        # A door opened with no unlock: an alarm on the list, not only an audit line.
        bank.doors[3]["open"] = True
        bank.door(3, "unsolicited_open")

        def alarm_codes() -> set[tuple[str, str]]:
            return {(a["device_id"], a["code"]) for a in hall.client.get("/api/v1/alarms").json()}

        assert wait_until(lambda: (BANK, "door_unsolicited_open") in alarm_codes(), 10), alarm_codes()
        # Each forced opening is an alarm of its own, waiting for a manager's acknowledgement.
        bank.doors[3]["open"] = False
        bank.door(3, "closed")
        bank.doors[3]["open"] = True
        bank.door(3, "unsolicited_open")

        def forced() -> list[dict[str, Any]]:
            alarms = hall.client.get("/api/v1/alarms").json()
            return [a for a in alarms if a["code"] == "door_unsolicited_open"]

        assert wait_until(lambda: len(forced()) == 2, 10), forced()
        assert all(a["severity"] == "critical" and a["acknowledged_at"] is None for a in forced())
        assert hall.controller.rejected_total() == 0


def a_page(seed: int) -> bytes:
    """A page as the camera's sensor gives it: an A4 picture at 150 dpi with enough grain that its JPEG
    travels in several parts."""
    image = Image.frombytes("L", (1240, 1754), secrets.token_bytes(1240 * 1754 // 8) * 8)
    image.paste(255, (0, 300, 1240, 1754))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=30 + seed)
    return out.getvalue()


def test_window_devices_built_from_the_documents(any_broker: Broker, tmp_path: Path, bank: Bank) -> None:
    with running_hall(any_broker, tmp_path, bank) as hall:
        mine = functools.partial(hall.client.get, "/api/v1/ext/window/mine")
        assert mine().status_code == 409 and mine().json()["error"]["code"] == "not_signed_in"
        hall.devices["window-01-keypad"].publish_event("key", {"key": "sign-in", "clerk": "clerk-7"})
        assert wait_until(lambda: mine().status_code == 200, 10), mine().text
        start = mine(params={"after": -1}).json()
        assert (start["window"], start["reader"], start["camera"], start["reads"]) == (1, True, True, [])

        # A card laid on the reader: sealed exactly as docs/protocol.md says, with a library of the maker's.
        reader = hall.devices[READER]
        holder = {
            "v": 1,
            "name": "𠮷田花",
            "id_number": ID_NUMBER,
            "sex": "女",
            "nation": "汉",
            "valid_until": "2040-05-01",
        }
        sealed = doc_device.seal_card(reader.contract, READ_KEY, holder)
        assert ID_NUMBER not in sealed
        reader.publish_event("card-read", {"sealed": sealed})
        reader.publish_event("card-refused", {"reason": "expired", "message": "证件已过有效期"})

        def reads() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = mine(params={"after": start["seq"]}).json()["reads"]
            return found

        assert wait_until(lambda: len(reads()) == 2, 10), reads()
        read, refused = reads()
        assert read["sealed"] == sealed and read["seq"] > start["seq"]
        assert refused["refused"] == {"reason": "expired", "message": "证件已过有效期"}
        # The case service opens what the document-built reader sealed: the format is the one it reads.
        opened = window_contract.open_read(
            CASE_SERVICE_KEY, window_contract.CardReadData(sealed=read["sealed"])
        )
        assert opened.model_dump(mode="json") == holder
        # Another clerk (at no window, or signed in later) gets none of it.
        other = staff_headers(hall.controller.settings, "clerk-8", ("clerk",))
        assert hall.client.get("/api/v1/ext/window/mine", headers=other).status_code == 409

        # The page under the camera, asked for by the clerk, arrives whole, fetched part by part.
        page = a_page(0)
        assert len(page) > 2 * doc_device.PART_BYTES  # three parts at least
        hall.camera.page = page
        taken = hall.client.post("/api/v1/ext/window/mine/capture")
        assert taken.status_code == 200, taken.text
        body = taken.json()
        assert base64.b64decode(body["data"]) == page
        assert (body["window"], body["content_type"], body["width"], body["height"]) == (
            1,
            "image/jpeg",
            1240,
            1754,
        )
        parts = -(-len(page) // doc_device.PART_BYTES)
        assert hall.camera.parts_sent == [("c-1", index) for index in range(parts)]

        # No page in view: the documented no-page, told to the clerk as such.
        hall.camera.page = None
        empty = hall.client.post("/api/v1/ext/window/mine/capture")
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "no_page"
        assert hall.controller.rejected_total() == 0


def test_the_projects_own_devices_send_what_the_document_says(mosquitto: Broker) -> None:
    """The other way round: a device built on devices.protocol (the simulated evaluator) puts on the wire
    exactly the topics, QoS, retained flags and payloads asyncapi.yaml documents."""
    from firmware_sim.queue.devices import Evaluator

    contract = Contract()
    hall = new_hall_id()
    heard: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()

    def listener() -> paho.Client:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"listener-{secrets.token_hex(4)}")

        def keep(_c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
            with lock:
                heard.append((message.topic, message.qos, bytes(message.payload)))

        client.on_message = keep
        client.connect(mosquitto.host, mosquitto.port)
        client.subscribe(f"hall/v1/{hall}/#", qos=1)
        client.loop_start()
        return client

    live = listener()
    time.sleep(0.3)
    evaluator = Evaluator(hall, "window-02-evaluator", 2, heartbeat_seconds=0.5)
    evaluator.start(mosquitto.url)
    try:
        assert evaluator.connected.wait(10) and evaluator.subscribed.wait(10)
        ask = {"rating_id": "r-1", "window": 2, "timeout_seconds": 30}
        command = {"v": 1, "request_id": "q-1", "args": ask, "expires": time.time() + 30}
        live.publish(
            contract.topic(hall, "window-02-evaluator", "cmd/ask-rating"), json.dumps(command), qos=1
        )
        assert wait_until(lambda: evaluator.asking is not None, 10)
        evaluator.rate(5, {"quality": 4})
        suffixes = {"status", "desc", "state", "evt/heartbeat", "evt/rated", "resp", "cmd/ask-rating"}

        def seen() -> set[str]:
            with lock:
                return {topic.split("/", 4)[4] for topic, _qos, _raw in heard}

        assert wait_until(lambda: seen() >= suffixes, 10), seen()
        with lock:
            messages = list(heard)
        for topic, qos, raw in messages:
            suffix = topic.split("/", 4)[4]
            contract.check(contract.payload_schema(suffix), json.loads(raw), topic)
            assert qos == contract.binding(suffix)[0], (suffix, qos)
        # What a device arriving later finds retained is exactly what the document marks retained.
        retained: list[str] = []
        late = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"late-{secrets.token_hex(4)}")
        late.on_message = lambda _c, _u, m: retained.append(m.topic.split("/", 4)[4]) if m.retain else None
        late.connect(mosquitto.host, mosquitto.port)
        late.subscribe(f"hall/v1/{hall}/#", qos=1)
        late.loop_start()
        documented = {s for s in suffixes if contract.binding(s)[1]}
        assert wait_until(lambda: set(retained) == documented, 10), retained
        late.loop_stop()
        late.disconnect()
    finally:
        evaluator.stop()
        live.loop_stop()
        live.disconnect()

"""A device written from docs/protocol.md alone: raw paho and hand-written JSON, no project code.

If the controller accepts it, announces it and completes its command, the document is enough to
build a device.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol.payloads import CompletionCode
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


class HandWrittenDevice:
    def __init__(self, broker: Broker, hall: str, device: str) -> None:
        self.base = f"hall/v1/{hall}/{device}"
        self.hall = hall
        self.seq = 0
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"{hall}-{device}-raw")
        will = json.dumps({"v": 1, "status": "offline", "instance": "raw-1"})
        self.client.will_set(f"{self.base}/status", will, qos=1, retain=True)
        self.client.on_connect = self.on_connect
        self.client.on_message = self.on_message
        self.announced = threading.Event()
        self.client.connect(broker.host, broker.port, keepalive=20)
        self.client.loop_start()

    def send(self, suffix: str, body: dict[str, Any], retain: bool = False) -> None:
        self.client.publish(f"{self.base}/{suffix}", json.dumps(body), qos=1, retain=retain)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def on_connect(self, client: paho.Client, *_: Any) -> None:
        client.subscribe([(f"{self.base}/cmd/+", 1), (f"hall/v1/{self.hall}/$controller/status", 1)])
        self.send(
            "desc",
            {
                "v": 1,
                "instance": "raw-1",
                "kind": "evaluator",
                "model": "third-party",
                "firmware": "0.1",
                "capabilities": ["ask-rating"],
                "commands": ["announce", "ask-rating"],
                "events": ["heartbeat", "rated"],
                "heartbeat_seconds": 10,
            },
            retain=True,
        )
        self.send(
            "state", {"v": 1, "instance": "raw-1", "seq": self.next_seq(), "ts": 0, "data": {}}, retain=True
        )
        self.send("status", {"v": 1, "status": "online", "instance": "raw-1"}, retain=True)
        self.announced.set()

    def on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        if message.topic.endswith("/status"):
            return
        name = message.topic.rsplit("/", 1)[1]
        command = json.loads(message.payload)
        answer = {"v": 1, "request_id": command["request_id"], "command": name}
        self.send("resp", {**answer, "phase": "ack"})
        self.send("resp", {**answer, "phase": "completion", "code": "success", "result": {"stars": 5}})

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_a_device_built_from_the_document(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(any_broker.url, tmp_path, hall)) as controller:
        device = HandWrittenDevice(any_broker, hall, "evaluator-3")
        try:
            assert wait_until(
                lambda: (
                    (r := controller.registry.get("evaluator-3")) and r.availability is Availability.ONLINE
                )
            )
            outcome = controller.send_command("evaluator-3", "ask-rating", {"ticket": "A012"}).result(10)
            assert (outcome.code, outcome.result, outcome.acknowledged) == (
                CompletionCode.SUCCESS,
                {"stars": 5},
                True,
            )
            assert controller.rejected_total() == 0
        finally:
            device.stop()

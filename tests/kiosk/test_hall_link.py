"""The kiosk as a device of the hall: its broken parts appear as health issues on the MQTT contract."""

from __future__ import annotations

import json
import threading
from typing import Any

import paho.mqtt.client as paho
import pytest

from devices.protocol import topics
from devices.protocol.device import ProtocolDevice
from devices.protocol.mqtt import make_client
from hall.net import free_port, mqtt_host_port
from kiosk.adapters.hall_link import ControllerLink
from kiosk.flow.model import Device, Service
from kiosk.ports import ServiceUnavailableError
from tests.fixtures.mqtt import Broker

pytestmark = pytest.mark.integration


def _latest_state(broker: Broker, topic: str, until: Any) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []
    matched = threading.Event()

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        state = json.loads(message.payload)
        seen.append(state)
        if until(state):
            matched.set()

    client = make_client(broker.url, "kiosk-test-watcher")
    client.on_message = on_message
    client.on_connect = lambda c, *_args: c.subscribe(topic, qos=1)
    host, port = mqtt_host_port(broker.url)
    client.connect(host, port)
    client.loop_start()
    try:
        assert matched.wait(10), f"no matching state on {topic}: {seen[-1:]}"
    finally:
        client.disconnect()
        client.loop_stop()
    return seen[-1]


def test_faults_are_health_issues_of_the_kiosk(any_broker: Broker) -> None:
    device = ProtocolDevice("hall-test", "kiosk-07", kind="kiosk", capabilities=["tickets", "pickups"])
    link = ControllerLink(
        device, "http://127.0.0.1:1", ticket_service="business", locker_bank="locker-bank-01"
    )
    device.start(any_broker.url)
    try:
        assert device.connected.wait(10)
        topic = topics.topic("hall-test", "kiosk-07", topics.Channel.STATE)
        link.report_fault(Device.PRINTER, "media-empty")
        state = _latest_state(
            any_broker, topic, lambda s: any(i["code"] == "printer-fault" for i in s["issues"])
        )
        assert state["issues"][0]["message"] == "media-empty"
        link.report_recovered(Device.PRINTER)
        _latest_state(any_broker, topic, lambda s: s["issues"] == [])
    finally:
        device.stop()
        link.close()


def test_controller_unreachable_is_an_outage_not_a_refusal() -> None:
    device = ProtocolDevice("hall-test", "kiosk-08", kind="kiosk")
    link = ControllerLink(
        device, f"http://127.0.0.1:{free_port()}", ticket_service="business", locker_bank="locker-bank-01"
    )
    with pytest.raises(ServiceUnavailableError):
        link.take_ticket(Service.TICKET, "11010519491231002X")
    link.close()

"""Home Assistant discovery through a real Mosquitto; its templates rendered on the device's real payloads."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import jinja2
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol.health import HealthCode
from firmware_sim.device import SimulatedDevice
from hall_controller.homeassistant.extension import HomeAssistantDiscovery
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


def retained(broker: Broker, topic_filter: str, settle: float = 1.0) -> dict[str, bytes]:
    """Everything retained under a filter (waits `settle` seconds for it)."""
    got: dict[str, bytes] = {}
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="")
    client.on_message = lambda _c, _u, message: got.__setitem__(message.topic, bytes(message.payload))
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe(topic_filter, qos=1)
    threading.Event().wait(settle)
    client.loop_stop()
    client.disconnect()
    return got


def render(template: str, payload: bytes) -> str:
    environment = jinja2.Environment(autoescape=False)
    return environment.from_string(template).render(value_json=json.loads(payload))


def test_devices_appear_in_home_assistant(mosquitto: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(
        mosquitto.url,
        tmp_path,
        hall,
        controller={"home_assistant": True, "home_assistant_prefix": f"ha-{hall}"},
    )
    with running_controller(settings, [HomeAssistantDiscovery]) as controller:
        printer = SimulatedDevice(hall, "ticket-printer-01", "ticket_printer", model="TP-80", firmware="2.1")
        printer.start(mosquitto.url)
        try:
            assert wait_until(
                lambda: (
                    (r := controller.registry.get("ticket-printer-01"))
                    and r.availability is Availability.ONLINE
                )
            )
            printer.raise_issue(HealthCode.PAPER_OUT)
            object_id = f"{hall}_ticket_printer_01".replace("-", "_")
            configs: dict[str, Any] = {}
            assert wait_until(
                lambda: len(configs.update(retained(mosquitto, f"ha-{hall}/#", 0.5)) or configs) == 2,
                timeout=15,
            )
            online = json.loads(configs[f"ha-{hall}/binary_sensor/{object_id}/online/config"])
            problem = json.loads(configs[f"ha-{hall}/binary_sensor/{object_id}/problem/config"])
            assert online["device"]["model"] == "TP-80" and online["device"]["sw_version"] == "2.1"
            assert online["device_class"] == "connectivity" and problem["device_class"] == "problem"

            # What Home Assistant would compute from the device's real retained messages.
            state = retained(mosquitto, problem["state_topic"], 0.5)[problem["state_topic"]]
            status = retained(mosquitto, online["state_topic"], 0.5)[online["state_topic"]]
            birth = retained(mosquitto, online["availability_topic"], 0.5)[online["availability_topic"]]
            assert render(online["value_template"], status) == online["payload_on"]
            assert render(problem["value_template"], state) == "ON"
            assert json.loads(render(problem["json_attributes_template"], state)) == {"issues": ["paper-out"]}
            assert render(online["availability_template"], birth) == "online"
        finally:
            printer.stop()


def test_discovery_is_off_unless_asked_for(mosquitto: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(
        mosquitto.url, tmp_path, hall, controller={"home_assistant_prefix": f"ha-{hall}"}
    )
    with running_controller(settings, [HomeAssistantDiscovery]) as controller:
        device = SimulatedDevice(hall, "main-display", "queue_display")
        device.start(mosquitto.url)
        try:
            assert wait_until(
                lambda: (
                    (r := controller.registry.get("main-display")) and r.availability is Availability.ONLINE
                )
            )
            controller.dispatcher.drain()
            assert retained(mosquitto, f"ha-{hall}/#", 0.5) == {}
        finally:
            device.stop()

"""The controller and a simulated device through a real broker (Mosquitto and the embedded amqtt)."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import topics
from devices.protocol.health import HealthCode
from devices.protocol.payloads import Command, CompletionCode, Phase, Response, decode
from firmware_sim.device import SimulatedDevice
from hall_controller.commands import CommandOutcome
from hall_controller.extensions import DeviceEvent, Extension
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


class Recorder(Extension):
    name = "recorder"
    events = frozenset({"key-pressed"})

    def start(self) -> None:
        self.heard: list[DeviceEvent] = []
        self.completions: list[CommandOutcome] = []

    def on_event(self, event: DeviceEvent) -> None:
        self.heard.append(event)

    def on_completion(self, outcome: CommandOutcome) -> None:
        self.completions.append(outcome)


def raw_client(broker: Broker) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="")
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def test_announce_command_event_and_completion(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(any_broker.url, tmp_path, hall)
    with running_controller(settings, [Recorder]) as controller:
        # MQTT 5 extras (message expiry, response topic) only where the broker speaks MQTT 5.
        assert controller.link.v5 is (any_broker.kind == "mosquitto")
        device = SimulatedDevice(
            hall, "keypad-1", "caller_keypad", capabilities=["beep"], events=["key-pressed"]
        )
        device.start(any_broker.url)
        try:
            assert wait_until(
                lambda: (r := controller.registry.get("keypad-1")) and r.availability is Availability.ONLINE
            )
            record = controller.registry.get("keypad-1")
            assert record is not None and record.kind == "caller_keypad"
            assert record.description is not None and "beep" in record.description.commands

            outcome = controller.send_command("keypad-1", "beep", {"times": 2}).result(10)
            assert outcome.code is CompletionCode.SUCCESS
            assert outcome.acknowledged
            assert outcome.result == {"echo": {"times": 2}}

            unknown = controller.send_command("keypad-1", "explode").result(10)
            assert unknown.code is CompletionCode.UNSUPPORTED_COMMAND
            # Its own commands: on MQTT 5 the broker does not hand them back ("no local": nothing to
            # parse on the call's path); on 3.1.1 they come back and are recognised. No alarm either way.
            heard = [
                line
                for line in controller.metrics.render().decode().splitlines()
                if line.startswith('hall_mqtt_messages_total{channel="cmd"}')
            ]
            echoed = 0.0 if controller.link.v5 else 2.0
            assert heard == [f'hall_mqtt_messages_total{{channel="cmd"}} {echoed}']
            assert controller.link.hears_own_commands is not controller.link.v5
            assert not [a for a in controller.alarms.attention() if a.code == "foreign_command"]

            device.publish_event("key-pressed", {"key": "next"})
            device.publish_event("ignored-event", {})
            recorder = controller.extensions[0]
            assert isinstance(recorder, Recorder)
            assert wait_until(lambda: recorder.heard)
            controller.dispatcher.drain()
            assert [(e.device_id, e.name, e.data) for e in recorder.heard] == [
                ("keypad-1", "key-pressed", {"key": "next"})
            ]
            assert {o.command for o in recorder.completions} >= {"beep", "explode"}
        finally:
            device.stop()
        assert wait_until(
            lambda: (r := controller.registry.get("keypad-1")) and r.availability is Availability.OFFLINE
        )


def test_a_repeated_request_id_is_answered_twice_but_executed_once(any_broker: Broker) -> None:
    hall = new_hall_id()
    device = SimulatedDevice(hall, "printer-1", "ticket_printer", capabilities=["print"])
    device.start(any_broker.url)
    client = raw_client(any_broker)
    responses: list[Response] = []
    got = threading.Event()

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        responses.append(decode(Response, bytes(message.payload)))
        got.set()

    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    try:
        assert device.subscribed.wait(10)  # the broker has the device's command subscription
        client.subscribe(topics.topic(hall, "printer-1", topics.Channel.RESP), qos=1)
        assert subscribed.wait(10)
        command = Command(request_id="req-42", args={"text": "A012"}).encode()
        cmd_topic = topics.topic(hall, "printer-1", topics.Channel.CMD, "print")
        client.publish(cmd_topic, command, qos=1).wait_for_publish(5)
        assert wait_until(lambda: len(responses) >= 2)
        client.publish(cmd_topic, command, qos=1).wait_for_publish(5)
        assert wait_until(lambda: len(responses) >= 4)
        assert [(r.phase, r.code) for r in responses] == [
            (Phase.ACK, None),
            (Phase.COMPLETION, CompletionCode.SUCCESS),
            (Phase.ACK, None),
            (Phase.COMPLETION, CompletionCode.SUCCESS),
        ]
        assert device.executed == ["req-42"]
    finally:
        client.loop_stop()
        client.disconnect()
        device.stop()


def test_heartbeat_loss_then_revival(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(any_broker.url, tmp_path, hall, controller={"offline_after_missed": 2})
    with running_controller(settings) as controller:
        device = SimulatedDevice(hall, "led-1", "window_led", heartbeat_seconds=0.2)
        device.start(any_broker.url, heartbeat_thread=False)
        try:
            assert wait_until(
                lambda: (r := controller.registry.get("led-1")) and r.availability is Availability.ONLINE
            )
            for _ in range(3):
                device.beat()
            assert wait_until(
                lambda: (r := controller.registry.get("led-1")) and r.availability is Availability.OFFLINE
            )
            record = controller.registry.get("led-1")
            assert record is not None and record.offline_reason.startswith("no heartbeat")
            # The sweep marks the device offline first and raises its alarm just after: wait for both.
            assert wait_until(
                lambda: any(
                    a.code == HealthCode.OFFLINE.value and a.active for a in controller.alarms.attention()
                )
            )
            device.beat()
            assert wait_until(
                lambda: (r := controller.registry.get("led-1")) and r.availability is Availability.ONLINE
            )
            assert wait_until(
                lambda: (
                    not any(
                        a.code == HealthCode.OFFLINE.value and a.active for a in controller.alarms.attention()
                    )
                )
            )
        finally:
            device.stop()


def test_last_will_marks_a_crashed_device_offline(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(any_broker.url, tmp_path, hall)) as controller:
        device = SimulatedDevice(hall, "evaluator-1", "evaluator", heartbeat_seconds=30)
        device.start(any_broker.url)
        assert wait_until(
            lambda: (r := controller.registry.get("evaluator-1")) and r.availability is Availability.ONLINE
        )
        device.stop(clean=False)
        assert wait_until(
            lambda: (r := controller.registry.get("evaluator-1")) and r.availability is Availability.OFFLINE,
            timeout=20,
        )


def test_command_to_an_absent_device_times_out(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(any_broker.url, tmp_path, hall)) as controller:
        outcome = controller.send_command("nobody", "beep", timeout=0.5).result(5)
        assert outcome.code is CompletionCode.TIME_OUT
        assert not outcome.acknowledged

"""Bad input, duplicate ids and restarts, through a real broker."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import topics
from devices.protocol.health import HealthCode
from devices.protocol.payloads import MAX_PAYLOAD_BYTES, CompletionCode, Heartbeat
from firmware_sim.device import SimulatedDevice
from firmware_sim.queue.devices import CallerKeypad, QueueDisplay
from firmware_sim.queue.speech import SilentSpeaker
from hall_controller import link
from hall_controller.controller import HallController
from hall_controller.queue.book import QueueBook
from hall_controller.queue.events import Source
from hall_controller.queue.extension import QueueExtension
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


def publisher(broker: Broker) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="")
    client.connect(broker.host, broker.port)
    client.loop_start()
    assert wait_until(client.is_connected), "test publisher could not connect"
    return client


def settled(controller: HallController, device: SimulatedDevice) -> bool:
    """Online, and the controller has seen everything the device sent (its re-announce included)."""
    record = controller.registry.get(device.device_id)
    return (
        device.controller_instance == controller.instance
        and record is not None
        and record.availability is Availability.ONLINE
        and record.last_seq == device.seq_published
    )


def test_malformed_payloads_are_counted_and_change_nothing(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(any_broker.url, tmp_path, hall)) as controller:
        device = SimulatedDevice(hall, "display-1", "display", capabilities=["show"], heartbeat_seconds=60)
        device.start(any_broker.url)
        client = publisher(any_broker)
        try:
            assert wait_until(lambda: settled(controller, device))
            before = controller.registry.get("display-1")
            base = f"hall/v1/{hall}/display-1"
            garbage = [
                (f"{base}/state", b"\x00\xff not json"),
                (f"{base}/state", b"[]"),
                (f"{base}/state", json.dumps({"v": 2, "instance": "x", "seq": 1, "ts": 0}).encode()),
                (f"{base}/desc", json.dumps({"v": 1, "kind": "Bad Kind!"}).encode()),
                (f"{base}/status", b"online"),
                (f"{base}/evt/heartbeat", json.dumps({"v": 1, "seq": "many"}).encode()),
                (f"{base}/resp", json.dumps({"v": 1, "request_id": ""}).encode()),
                (f"{base}/evt/x", b"{" * (MAX_PAYLOAD_BYTES + 1)),
            ]
            for topic, payload in garbage:
                client.publish(topic, payload, qos=1).wait_for_publish(5)
            assert wait_until(lambda: controller.rejected_total() >= len(garbage))
            assert controller.rejected_total() == len(garbage)
            assert controller.registry.get("display-1") == before
            # still fully working
            assert controller.send_command("display-1", "show", {"text": "A012"}).result(10).ok
            metrics = controller.metrics.render().decode()
            assert 'hall_mqtt_rejected_total{reason="state"} 3.0' in metrics
        finally:
            client.publish(f"hall/v1/{hall}/display-1/evt/x", b"", qos=1)
            client.loop_stop()
            client.disconnect()
            device.stop()


def test_duplicate_device_id_is_reported(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(any_broker.url, tmp_path, hall)) as controller:
        first = SimulatedDevice(hall, "kiosk-1", "kiosk", heartbeat_seconds=30)
        first.start(any_broker.url)
        client = publisher(any_broker)
        try:
            assert wait_until(
                lambda: (r := controller.registry.get("kiosk-1")) and r.availability is Availability.ONLINE
            )
            # A second program with the same id (its own connection) speaking between the first's beats.
            beat_topic = topics.topic(hall, "kiosk-1", topics.Channel.EVT, "heartbeat")
            intruder = Heartbeat(instance="intruder", seq=1, ts=0, uptime=1).encode()
            client.publish(beat_topic, intruder, qos=1).wait_for_publish(5)
            assert wait_until(lambda: (r := controller.registry.get("kiosk-1")) and r.instance == "intruder")
            first.beat()
            assert wait_until(lambda: (r := controller.registry.get("kiosk-1")) and r.duplicate)
            assert any(a.code == HealthCode.DUPLICATE_ID.value for a in controller.alarms.attention())
        finally:
            client.loop_stop()
            client.disconnect()
            first.stop()


def test_controller_restart_keeps_alarms_and_devices_reannounce(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    settings = controller_settings(any_broker.url, tmp_path, hall)
    printer = SimulatedDevice(
        hall, "printer-1", "ticket_printer", capabilities=["print"], heartbeat_seconds=30
    )
    printer.start(any_broker.url)
    try:
        with running_controller(settings) as controller:
            assert wait_until(lambda: controller.registry.get("printer-1") is not None)
            printer.raise_issue(HealthCode.PAPER_OUT)
            assert wait_until(lambda: any(a.code == "paper-out" for a in controller.alarms.attention()))
            [alarm] = [a for a in controller.alarms.attention() if a.code == "paper-out"]
            controller.acknowledge_alarm(alarm.alarm_id, "值班经理")
            controller.context.store.collection("queue.counters").put("A", {"next": 13})
        # the controller's death is retained; the device keeps running, then a new controller comes up
        announcements_before = printer.seq_published
        with running_controller(settings) as controller:
            assert wait_until(lambda: printer.seq_published > announcements_before)  # re-announced on birth
            assert wait_until(
                lambda: (r := controller.registry.get("printer-1")) and r.availability is Availability.ONLINE
            )
            [again] = [a for a in controller.alarms.history() if a.code == "paper-out"]
            assert again.alarm_id == alarm.alarm_id and again.acknowledged_by == "值班经理" and again.active
            assert controller.context.store.collection("queue.counters").get("A") == {"next": 13}
            # the same condition still reported: no second alarm
            assert len([a for a in controller.alarms.history() if a.code == "paper-out"]) == 1
            printer.clear_issue(HealthCode.PAPER_OUT)
            assert wait_until(
                lambda: not any(a.active for a in controller.alarms.history() if a.code == "paper-out")
            )
            assert controller.send_command("printer-1", "print").result(10).code is CompletionCode.SUCCESS
    finally:
        printer.stop()


def test_a_sequence_gap_makes_the_device_reannounce(any_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(any_broker.url, tmp_path, hall)) as controller:
        device = SimulatedDevice(hall, "evaluator-2", "evaluator", heartbeat_seconds=30)
        device.start(any_broker.url)
        client = publisher(any_broker)
        try:
            assert wait_until(lambda: settled(controller, device))
            assert device.executed == []
            # A heartbeat in the device's name that skips far ahead: as if messages were lost on the way.
            skipped = Heartbeat(
                instance=device.instance, seq=device.seq_published + 1000, ts=0, uptime=1
            ).encode()
            client.publish(topics.topic(hall, "evaluator-2", topics.Channel.EVT, "heartbeat"), skipped, qos=1)
            assert wait_until(lambda: (r := controller.registry.get("evaluator-2")) and r.gaps == 1)
            # The controller asked it to re-announce, and the device did it.
            assert wait_until(lambda: len(device.executed) == 1)
            assert "hall_sequence_gaps_total 1.0" in controller.metrics.render().decode()
        finally:
            client.loop_stop()
            client.disconnect()
            device.stop()


def test_paho_still_has_the_write_the_link_uses_on_its_thread() -> None:
    # Without it a key's shows wait for paho's loop again (slower, not wrong): an upgrade must say so.
    assert link.PACKET_WRITE is not None


def test_the_controller_stops_cleanly_in_the_middle_of_a_burst_of_keys(
    any_broker: Broker, tmp_path: Path
) -> None:
    """A key's shows are written by paho's own thread as they are published (`ControllerLink._write_now`);
    a stop in the middle of a burst of keys must not hang (a DISCONNECT written from inside a message's
    handling would wait for the callback lock that handling holds)."""
    hall = new_hall_id()
    settings = controller_settings(any_broker.url, tmp_path / "ctl", hall)
    controller = HallController(settings, [QueueExtension.factory(deliver_ratings=False)])
    controller.start()
    display = QueueDisplay(hall, "main-display", SilentSpeaker())
    shown: set[str] = set()
    display.on_shown = lambda show: shown.add(show.latest.number) if show.latest else None
    keypads = [CallerKeypad(hall, f"window-{n:02d}-keypad", n) for n in (1, 3, 5)]
    devices = [display, *keypads]
    pressing = threading.Event()
    stopper = threading.Thread(target=controller.stop, daemon=True)
    try:
        assert controller.link.connected.wait(15)
        for device in devices:
            device.start(any_broker.url)
        assert wait_until(
            lambda: all((r := controller.registry.get(d.device_id)) and r.description for d in devices)
        )
        queue = next(e for e in controller.extensions if isinstance(e, QueueExtension))

        def open_windows(book: QueueBook, now: float) -> None:
            for window in (1, 3, 5):
                book.sign_in(window, f"c{window}", now)
            for _ in range(60):
                for service in ("business", "social", "permits"):
                    book.issue(service, now, source=Source.WINDOW)

        queue.service.run(open_windows)

        def burst() -> None:
            while not pressing.is_set():
                for keypad in keypads:
                    keypad.press("finish", outcome="ok")
                    keypad.press("next")
                time.sleep(0.002)

        threading.Thread(target=burst, daemon=True).start()
        assert wait_until(lambda: len(shown) >= 10)
        stopper.start()
        stopper.join(20)
        assert not stopper.is_alive(), "the controller's stop hung in the middle of the keys"
    finally:
        pressing.set()
        for device in devices:
            device.stop()
        if not stopper.is_alive() and stopper.ident is None:
            controller.stop()

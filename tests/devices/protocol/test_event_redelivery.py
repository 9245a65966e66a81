"""An event in flight when Mosquitto dies reaches the controller once, after both are back.

The device and the controller each talk to the broker through a TCP forwarder of the test's own, so
the moment of the crash is chosen, not raced: a publish swallowed before its PUBACK, a publish the broker
acknowledged but never routed, and one it routed just before dying. The controller is held back after
the restart until the device has reconnected, so an event resent straight after the reconnect (paho's own
QoS 1 resend) would find no subscriber, as it does when a real hall comes back in that order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from firmware_sim.device import SimulatedDevice
from hall_controller.controller import HallController
from hall_controller.extensions import DeviceEvent, Extension
from hall_controller.registry import Availability
from soak.netcut import LinkProxy
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = [pytest.mark.integration]

DEVICE = "keypad-1"
EVENT = "key-pressed"


class Recorder(Extension):
    name = "recorder"
    events = frozenset({EVENT})

    def start(self) -> None:
        self.heard: list[DeviceEvent] = []

    def on_event(self, event: DeviceEvent) -> None:
        self.heard.append(event)


class Hall:
    def __init__(self, broker: Broker, controller: HallController, device: SimulatedDevice) -> None:
        self.broker = broker
        self.controller = controller
        self.device = device
        recorder = controller.extensions[0]
        assert isinstance(recorder, Recorder)
        self.recorder = recorder

    def presses(self, number: int) -> int:
        return sum(1 for event in self.recorder.heard if event.data.get("n") == number)

    def ready(self) -> bool:
        record = self.controller.registry.get(DEVICE)
        return bool(
            record is not None
            and record.availability is Availability.ONLINE
            and self.device.connected.is_set()
            and self.device.controller_instance == self.controller.instance
        )


def proxy_url(proxy: LinkProxy) -> str:
    return f"mqtt://127.0.0.1:{proxy.port}"


@pytest.fixture
def hall(
    private_mosquitto: Callable[..., Broker], tmp_path: Path
) -> Iterator[tuple[Hall, LinkProxy, LinkProxy]]:
    broker = private_mosquitto()
    to_controller = LinkProxy(broker.port).start()
    to_device = LinkProxy(broker.port).start()
    hall_id = new_hall_id()
    settings = controller_settings(proxy_url(to_controller), tmp_path, hall_id)
    device = SimulatedDevice(hall_id, DEVICE, "caller_keypad", events=[EVENT])
    try:
        with running_controller(settings, [Recorder]) as controller:
            device.start(proxy_url(to_device))
            try:
                the_hall = Hall(broker, controller, device)
                assert wait_until(the_hall.ready, timeout=15)
                yield the_hall, to_controller, to_device
            finally:
                device.stop()
    finally:
        to_device.stop()
        to_controller.stop()


def crash_broker(hall: Hall, to_controller: LinkProxy, to_device: LinkProxy) -> None:
    """Kills the broker; the connections through the forwarders die with it (and whatever they held).

    The controller's forwarder stays cut: its reconnects hang until `controller_returns`.
    """
    hall.broker.kill()
    to_controller.cut()
    to_controller.reset()
    to_device.reset()
    to_device.heal()
    assert wait_until(lambda: not hall.device.connected.is_set(), timeout=10)
    hall.broker.start()
    # The device is back first; give paho's own resend (if any) time to reach the empty broker.
    assert wait_until(hall.device.connected.is_set, timeout=30)
    time.sleep(1.0)


def controller_returns(hall: Hall, to_controller: LinkProxy) -> None:
    to_controller.heal()
    assert wait_until(hall.ready, timeout=30)


def test_an_event_swallowed_before_its_puback_arrives_once(hall: tuple[Hall, LinkProxy, LinkProxy]) -> None:
    the_hall, to_controller, to_device = hall
    to_device.cut()  # the PUBLISH leaves the device and goes nowhere; no PUBACK comes back
    the_hall.device.publish_event(EVENT, {"n": 1})
    assert wait_until(lambda: the_hall.device.events_unacknowledged == 1)
    time.sleep(0.3)  # the bytes are in the forwarder
    crash_broker(the_hall, to_controller, to_device)
    controller_returns(the_hall, to_controller)

    assert wait_until(lambda: the_hall.presses(1) >= 1, timeout=20), "the in-flight event was lost"
    the_hall.device.publish_event(EVENT, {"n": 2})  # a later press comes after it, and settles the order
    assert wait_until(lambda: the_hall.presses(2) == 1, timeout=10)
    the_hall.controller.dispatcher.drain()
    assert [event.data["n"] for event in the_hall.recorder.heard] == [1, 2]


def test_an_event_acknowledged_but_never_routed_arrives_once(hall: tuple[Hall, LinkProxy, LinkProxy]) -> None:
    the_hall, to_controller, to_device = hall
    to_controller.cut()  # the broker routes the event, but it never reaches the controller
    the_hall.device.publish_event(EVENT, {"n": 1})
    assert wait_until(lambda: the_hall.device.events_unacknowledged == 0)  # the broker PUBACKed it
    crash_broker(the_hall, to_controller, to_device)
    controller_returns(the_hall, to_controller)

    assert wait_until(lambda: the_hall.presses(1) >= 1, timeout=20), "the acknowledged event was lost"
    the_hall.device.publish_event(EVENT, {"n": 2})
    assert wait_until(lambda: the_hall.presses(2) == 1, timeout=10)
    the_hall.controller.dispatcher.drain()
    assert [event.data["n"] for event in the_hall.recorder.heard] == [1, 2]


def test_an_event_the_controller_had_is_not_handled_twice(
    hall: tuple[Hall, LinkProxy, LinkProxy], caplog: pytest.LogCaptureFixture
) -> None:
    the_hall, to_controller, to_device = hall
    the_hall.device.publish_event(EVENT, {"n": 1})
    assert wait_until(lambda: the_hall.presses(1) == 1)
    assert wait_until(lambda: the_hall.device.events_unacknowledged == 0)
    with caplog.at_level(logging.INFO, logger="hall_controller.controller"):
        crash_broker(the_hall, to_controller, to_device)  # within seconds of the PUBACK: it is resent
        controller_returns(the_hall, to_controller)
        the_hall.device.publish_event(EVENT, {"n": 2})
        assert wait_until(lambda: the_hall.presses(2) == 1, timeout=20)
    the_hall.controller.dispatcher.drain()
    assert [event.data["n"] for event in the_hall.recorder.heard] == [1, 2]
    assert any("seen already" in record.getMessage() for record in caplog.records), "nothing was resent"

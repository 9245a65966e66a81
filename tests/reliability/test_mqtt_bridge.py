"""deploy/mosquitto/hall-bridge.conf on real Mosquittos: a hall broker bridged to a city broker.

The hall's status, state and events go up; commands come down only for that hall; while the city
broker is away the hall broker keeps what goes up and delivers it when the link is back (stated:
within 15 s of the city broker answering again).
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.fixtures.mqtt import Broker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BRIDGE = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "hall-bridge.conf"
CATCH_UP_SECONDS = 15.0


class Listener:
    def __init__(self, broker: Broker, *filters: str) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="")
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, bytes(m.payload)))
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_connect = lambda c, *_: c.subscribe([(f, 1) for f in filters])
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert subscribed.wait(10)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def next(self, timeout: float) -> tuple[str, bytes] | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def bridged(private_mosquitto: Callable[..., Broker]) -> Iterator[tuple[Broker, Broker]]:
    city = private_mosquitto()
    # The shipped file, with the city's address moved to the test's broker; TLS and the bridge's
    # password are the deployment's (tested in test_controller_broker_security and test_tls_http).
    bridge = BRIDGE.read_text().replace("mqtt.city.example.gov:8883", f"127.0.0.1:{city.port}")
    bridge = re.sub(r"^(bridge_cafile|remote_username|remote_password) .*$", "", bridge, flags=re.MULTILINE)
    bridge = bridge.replace("restart_timeout 2 30", "restart_timeout 1")
    hall = private_mosquitto(extra=bridge)
    yield hall, city


def _wait_for_bridge(hall: Listener, city: Listener) -> None:
    for attempt in range(50):
        hall.publish("hall/v1/hall-01/probe/status", f"probe-{attempt}".encode())
        if city.next(0.2) is not None:
            break
    else:
        pytest.fail("the bridge never connected")
    while city.next(0.3) is not None:  # drain late probes
        pass


def test_up_and_down_through_the_bridge(bridged: tuple[Broker, Broker]) -> None:
    hall_broker, city_broker = bridged
    at_city = Listener(city_broker, "hall/v1/#")
    at_hall = Listener(hall_broker, "hall/v1/+/+/cmd/#")
    try:
        _wait_for_bridge(at_hall, at_city)
        at_hall.publish("hall/v1/hall-01/kiosk-01/evt/heartbeat", b"beat")
        assert at_city.next(5) == ("hall/v1/hall-01/kiosk-01/evt/heartbeat", b"beat")
        # Commands: only this hall's come down; the hall's own commands do not go up.
        at_city.publish("hall/v1/hall-02/locker-1/cmd/open", b"not ours")
        at_city.publish("hall/v1/hall-01/locker-1/cmd/open", b"ours")
        assert at_hall.next(5) == ("hall/v1/hall-01/locker-1/cmd/open", b"ours")
        assert at_hall.next(1) is None
    finally:
        at_city.close()
        at_hall.close()


def test_what_goes_up_while_the_city_is_away_arrives_afterwards(bridged: tuple[Broker, Broker]) -> None:
    hall_broker, city_broker = bridged
    at_city = Listener(city_broker, "hall/v1/#")
    at_hall = Listener(hall_broker, "hall/v1/+/+/cmd/#")
    try:
        _wait_for_bridge(at_hall, at_city)
        at_city.close()
        city_broker.stop()
        sent = [f"evaluation-{n}".encode() for n in range(20)]
        for payload in sent:
            at_hall.publish("hall/v1/hall-01/window-01-evaluator/evt/rated", payload)
        city_broker.start()
        at_city = Listener(city_broker, "hall/v1/hall-01/+/evt/#")
        got: list[bytes] = []
        while len(got) < len(sent):
            message = at_city.next(CATCH_UP_SECONDS)
            assert message is not None, f"only {len(got)} of {len(sent)} arrived after the outage"
            got.append(message[1])
        # Nothing lost, nothing doubled, in order.
        assert got == sent
        assert at_city.next(1) is None
    finally:
        at_city.close()
        at_hall.close()

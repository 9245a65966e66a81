"""The embedded amqtt broker under connect/subscribe churn, as a hall starting up produces it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.fixtures.mqtt import start_amqtt

pytestmark = pytest.mark.integration

CLIENTS = 40
RETAINED = 200


class Watched:
    """A paho client that subscribes to a topic of its own and records what it receives."""

    def __init__(self, host: str, port: int, index: int) -> None:
        self.topic = f"churn/{index}"
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.received = threading.Event()
        self.disconnects = 0
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"churn-{index}")
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_args: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, client: paho.Client, *_args: object) -> None:
        self.connected.set()
        client.subscribe([(self.topic, 1), ("churn/retained/#", 0)])

    def _on_message(self, _client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
        if message.topic == self.topic:
            self.received.set()

    def _on_disconnect(self, *_args: object) -> None:
        self.disconnects += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_clients_connecting_while_others_subscribe_are_all_kept(tmp_path: Path) -> None:
    # amqtt 0.12 walks its subscription table across awaits (sending retained messages to a client that
    # connects); unpatched, a client connecting while another subscribes was dropped ("dictionary changed
    # size during iteration") about once in six runs of a single controller test. Retained messages, as
    # every device leaves them, and forty clients connecting and subscribing at once make it near-certain.
    broker = start_amqtt(tmp_path / "amqtt")
    clients: list[Watched] = []
    seeder = paho.Client(CallbackAPIVersion.VERSION2, client_id="churn-seeder")
    seeder.connect(broker.host, broker.port)
    seeder.loop_start()
    try:
        for index in range(RETAINED):
            seeder.publish(f"churn/retained/{index}", b"x" * 512, qos=1, retain=True).wait_for_publish(5)
        clients = [Watched(broker.host, broker.port, index) for index in range(CLIENTS)]
        deadline = time.monotonic() + 20
        for client in clients:
            assert client.subscribed.wait(max(0.1, deadline - time.monotonic())), client.topic
        for client in clients:
            client.client.publish(client.topic, b"ping", qos=1)
        for client in clients:
            assert client.received.wait(max(0.1, deadline - time.monotonic())), client.topic
        assert [c.disconnects for c in clients] == [0] * CLIENTS
        log = (tmp_path / "amqtt" / "amqtt.log").read_text()
        assert "changed size during iteration" not in log
    finally:
        for client in clients:
            client.close()
        seeder.disconnect()
        seeder.loop_stop()
        broker.stop()


def test_a_connecting_client_gets_only_the_retained_messages_of_its_own_subscriptions(tmp_path: Path) -> None:
    # amqtt 0.12 sent a connecting client the retained messages of every filter in the broker, anybody's:
    # a device joining a hall received whatever the controller's `hall/v1/<hall>/#` matches.
    broker = start_amqtt(tmp_path / "amqtt")
    seeder = paho.Client(CallbackAPIVersion.VERSION2, client_id="retained-seeder")
    seeder.connect(broker.host, broker.port)
    seeder.loop_start()
    watcher = paho.Client(CallbackAPIVersion.VERSION2, client_id="retained-watcher")
    newcomer = paho.Client(CallbackAPIVersion.VERSION2, client_id="retained-newcomer")
    received: dict[str, list[str]] = {"watcher": [], "newcomer": []}
    subscribed = {"watcher": threading.Event(), "newcomer": threading.Event()}
    try:
        seeder.publish("others/desc", b"not yours", qos=1, retain=True).wait_for_publish(5)
        seeder.publish("mine/desc", b"yours", qos=1, retain=True).wait_for_publish(5)
        for name, client, topic in (("watcher", watcher, "others/#"), ("newcomer", newcomer, "mine/#")):
            client.on_message = lambda _c, _u, message, name=name: received[name].append(message.topic)
            client.on_subscribe = lambda *_args, name=name: subscribed[name].set()
            client.on_connect = lambda c, *_args, topic=topic: c.subscribe(topic, 1)
            client.connect(broker.host, broker.port)
            client.loop_start()
            assert subscribed[name].wait(10), name
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (received["watcher"] and received["newcomer"]):
            time.sleep(0.05)
        time.sleep(0.5)  # anything sent in error would have arrived with what was due
        assert received == {"watcher": ["others/desc"], "newcomer": ["mine/desc"]}
    finally:
        for client in (watcher, newcomer, seeder):
            client.disconnect()
            client.loop_stop()
        broker.stop()

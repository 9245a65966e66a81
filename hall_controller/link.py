"""The controller's MQTT link: retained birth/death, subscriptions, commands out, messages in.

MQTT 5 is used when the broker speaks it (Mosquitto, EMQX): commands then carry a message expiry (a
stale command is dropped by the broker) and a response topic with correlation data, and the hall's command
topics are subscribed with "no local": the broker does not hand the controller its own commands back,
so every command it hears is someone else's (`hears_own_commands`). On an MQTT 3.1.1 broker (the embedded
amqtt) the same payloads flow without those properties, and the controller's own commands come back.

A command's MQTT 5 properties are copied from a template per (device, expiry), only the correlation data
set anew: paho builds and checks each property by name in Python, ~0.1 ms a command on the call's path
(docs/adr/0013). A command published on paho's own thread (a keypad's key is handled there) is written
to the socket at once, not after the rest of the handling and paho's reading of the packets waiting
behind it (docs/adr/0014).
"""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from devices.protocol import topics
from devices.protocol.credentials import controller_device_id
from devices.protocol.mqtt import make_client
from devices.protocol.payloads import Presence, Status
from hall.enrolment import broker_login
from hall.net import mqtt_host_port
from hall.settings import Settings

log = logging.getLogger(__name__)

SUBSCRIBED_CHANNELS = (
    topics.Channel.STATUS,
    topics.Channel.DESC,
    topics.Channel.STATE,
    topics.Channel.EVT,
    topics.Channel.RESP,
    # Commands too: the controller compares them with those it sent (a foreign one raises an alarm).
    topics.Channel.CMD,
)
TEMPLATES_KEPT = 4096  # command property templates, per (device, expiry); dropped all at once beyond
# paho's own write of its queued packets (`ControllerLink._write_now`); were a paho release to drop it,
# commands would go out as before, by paho's loop (tests/hall_controller/test_controller_robustness.py
# checks it is there).
PACKET_WRITE: Callable[[paho.Client], object] | None = getattr(paho.Client, "_packet_write", None)


def controller_login(settings: Settings) -> tuple[str | None, str | None]:
    """The controller's own broker login (`<hall>/$controller`, from its enrolment)."""
    return broker_login(settings, controller_device_id(settings.hall_id))


def broker_speaks_v5(settings: Settings, timeout: float = 3.0) -> bool:
    """An MQTT 5 CONNECT handshake: True when the broker accepts it (amqtt 0.12 refuses v5)."""
    answered = threading.Event()
    accepted: list[bool] = []

    def on_connect(_c: paho.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        accepted.append(not reason.is_failure)
        answered.set()

    def on_disconnect(_c: paho.Client, _u: Any, _f: Any, _r: Any, _p: Any) -> None:
        answered.set()

    username, password = controller_login(settings)
    client = make_client(
        settings.resolved_mqtt_url,
        "",
        username=username,
        password=password,
        ca_file=settings.mqtt_ca_file,
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    host, port = mqtt_host_port(settings.resolved_mqtt_url)
    try:
        client.connect(host, port, keepalive=10)
    except OSError:
        return False
    client.loop_start()
    try:
        answered.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return bool(accepted and accepted[0])


class ControllerLink:
    def __init__(
        self,
        settings: Settings,
        instance: str,
        on_message: Callable[[str, bytes], None],
        on_connected: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._hall = settings.hall_id
        self._instance = instance
        self._on_message_cb = on_message
        self._on_connected_cb = on_connected
        self._status_topic = topics.controller_status(self._hall)
        self._client: paho.Client | None = None
        self.v5 = False
        self.connected = threading.Event()
        self.connections = 0  # sessions the broker accepted: a reconnect counts one more
        self._stopping = False
        self._write_lock = threading.Lock()  # `_stopping` against `_write_now`
        self._network_thread: int | None = None  # paho's thread of the current session
        self._templates: dict[tuple[str, int], Properties] = {}

    @property
    def hears_own_commands(self) -> bool:
        """Whether the broker hands this controller's own commands back (MQTT 3.1.1: no "no local")."""
        return not self.v5

    def start(self) -> None:
        # The embedded broker (amqtt) speaks 3.1.1 only: probing it with v5 would only make it log a warning.
        self.v5 = not self._settings.uses_embedded_broker and broker_speaks_v5(self._settings)
        protocol = MQTTProtocolVersion.MQTTv5 if self.v5 else MQTTProtocolVersion.MQTTv311
        username, password = controller_login(self._settings)
        client = make_client(
            self._settings.resolved_mqtt_url,
            f"controller.{self._hall}",
            username=username,
            password=password,
            ca_file=self._settings.mqtt_ca_file,
            will=(self._status_topic, Status(status=Presence.OFFLINE, instance=self._instance).encode()),
            protocol=protocol,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        host, port = mqtt_host_port(self._settings.resolved_mqtt_url)
        client.connect_async(host, port, keepalive=15)
        client.loop_start()
        self._client = client
        log.info("controller link of hall %s: MQTT %s", self._hall, "5" if self.v5 else "3.1.1")

    def stop(self) -> None:
        client = self._client
        if client is None:
            return
        with self._write_lock:
            self._stopping = True
        if client.is_connected():
            death = Status(status=Presence.OFFLINE, instance=self._instance).encode()
            client.publish(self._status_topic, death, qos=1, retain=True).wait_for_publish(2)
            client.disconnect()
        client.loop_stop()
        self._client = None
        self._stopping = False
        self.connected.clear()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        client = self._client
        if client is None or not client.is_connected():
            return False
        return client.publish(topic, payload, qos=1, retain=retain).rc == paho.MQTT_ERR_SUCCESS

    def publish_command(
        self, device_id: str, name: str, payload: bytes, request_id: str, timeout: float
    ) -> bool:
        client = self._client
        if client is None or not client.is_connected():
            return False
        properties = None
        if self.v5:
            properties = self._command_properties(device_id, max(1, math.ceil(timeout)))
            properties.CorrelationData = request_id.encode()
        info = client.publish(
            topics.topic(self._hall, device_id, topics.Channel.CMD, name),
            payload,
            qos=1,
            properties=properties,
        )
        self._write_now(client)
        return info.rc == paho.MQTT_ERR_SUCCESS

    def _command_properties(self, device_id: str, expiry: int) -> Properties:
        """A fresh copy of the (device, expiry) template: expiry and response topic set."""
        template = self._templates.get((device_id, expiry))
        if template is None:
            if len(self._templates) >= TEMPLATES_KEPT:
                self._templates.clear()
            template = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            template.MessageExpiryInterval = expiry
            template.ResponseTopic = topics.topic(self._hall, device_id, topics.Channel.RESP)
            self._templates[(device_id, expiry)] = template
        return copy.copy(template)

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self._network_thread = threading.get_ident()
        if reason.is_failure:
            log.error("broker refused the controller of hall %s: %s", self._hall, reason)
            return
        filters = [(topics.hall_filter(self._hall, channel), channel) for channel in SUBSCRIBED_CHANNELS]
        if self.v5:  # the command topics without the controller's own commands ("no local")
            client.subscribe(
                [
                    (name, SubscribeOptions(qos=1, noLocal=channel is topics.Channel.CMD))
                    for name, channel in filters
                ]
            )
        else:
            client.subscribe([(name, 1) for name, _channel in filters])
        birth = Status(status=Presence.ONLINE, instance=self._instance).encode()
        client.publish(self._status_topic, birth, qos=1, retain=True)
        self.connections += 1
        self.connected.set()
        log.info("controller of hall %s online (instance %s)", self._hall, self._instance)
        self._on_connected_cb()

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self.connected.clear()
        if self._stopping:
            log.info("controller of hall %s disconnected from the broker", self._hall)
            return
        log.warning("controller of hall %s lost the broker (%s); reconnecting", self._hall, reason)

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        self._on_message_cb(message.topic, bytes(message.payload))

    def _write_now(self, client: paho.Client) -> None:
        """On paho's network thread (a keypad's call handled where it arrived), a command is written as
        it is published, the main display's show first, not after the rest of the handling and paho's
        reading of every other waiting packet (docs/adr/0014); on any other thread paho's loop writes it.

        paho's network thread is its one writer; through `_packet_write`, not `loop_write`,
        whose error handling would call `on_disconnect` under the callback lock this thread holds (a
        failed write is left to the loop, which finds the broken socket on its next turn). Not while
        stopping: a queued DISCONNECT written here would do the same. The controller sends no QoS 0
        message and has no `on_publish`, the other callback a write can make.
        """
        if threading.get_ident() != self._network_thread or PACKET_WRITE is None:
            return
        with self._write_lock:
            if not self._stopping:
                PACKET_WRITE(client)

"""A paho-mqtt client configured from a URL: credentials, TLS, last will, reconnect with jitter."""

from __future__ import annotations

import logging
import random
import socket
import ssl
from pathlib import Path
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

log = logging.getLogger(__name__)


def make_client(
    url: str,
    client_id: str,
    *,
    username: str | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
    will: tuple[str, bytes] | None = None,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311,
) -> paho.Client:
    """Returns a client that is not yet connected; call `connect_async` + `loop_start`, or `connect`."""
    parts = urlsplit(url)
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=True if protocol != MQTTProtocolVersion.MQTTv5 else None,
    )
    user = username or (unquote(parts.username) if parts.username else None)
    secret = password or (unquote(parts.password) if parts.password else None)
    if user:
        client.username_pw_set(user, secret)
    if parts.scheme == "mqtts":
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        client.tls_set_context(context)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    # paho's back-off has no jitter: spread a whole hall's reconnects after a broker restart.
    client.reconnect_delay_set(min_delay=1, max_delay=int(8 + random.random() * 4))  # noqa: S311
    client.max_queued_messages_set(10000)
    client.on_socket_open = no_delay
    return client


def no_delay(_client: paho.Client, _userdata: object, sock: object) -> None:
    """Small MQTT packets go out at once: without TCP_NODELAY, Nagle + delayed ACKs add ~40 ms a hop."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

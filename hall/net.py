"""Small network helpers: free ports, readiness probes, broker reachability."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from hall.errors import StartupError
from hall.privacy import hide_url_passwords


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_tcp(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tcp_open(host, port):
            return True
        time.sleep(0.05)
    return False


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own http URL
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_for_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_ok(url):
            return True
        time.sleep(0.1)
    return False


def mqtt_host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 8883 if parts.scheme == "mqtts" else 1883
    return parts.hostname or "127.0.0.1", parts.port or default


def require_broker(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
    timeout: float = 5.0,
) -> None:
    """An MQTT CONNECT handshake: fails with one clear line if the broker is absent or refuses us."""
    import threading

    import paho.mqtt.client as paho

    from devices.protocol.mqtt import make_client

    host, port = mqtt_host_port(url)
    shown = hide_url_passwords(url)
    answered = threading.Event()
    outcome: list[str] = []

    def on_connect(_c: paho.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        outcome.append("" if not getattr(reason, "is_failure", False) else str(reason))
        answered.set()

    # The same client set-up as every process (credentials from the URL too, TLS with the CA file).
    client = make_client(url, "", username=username, password=password, ca_file=ca_file)
    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=10)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise StartupError(f"cannot reach the MQTT broker at {shown}: {reason}") from err
    client.loop_start()
    try:
        if not answered.wait(timeout):
            raise StartupError(f"the MQTT broker at {shown} did not answer within {timeout:.0f} s")
        if outcome[0]:
            raise StartupError(f"the MQTT broker at {shown} refused the connection: {outcome[0]}")
    finally:
        client.disconnect()
        client.loop_stop()


def mqtt_ready(url: str) -> bool:
    try:
        require_broker(url, timeout=1.0)
    except StartupError:
        return False
    return True

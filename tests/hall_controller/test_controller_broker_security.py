"""Per-device credentials, the generated pattern ACL and TLS, proved against a real Mosquitto."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devices.protocol import topics
from devices.protocol.credentials import password_hash, verify_password
from devices.protocol.payloads import CompletionCode, State
from firmware_sim.device import SimulatedDevice
from hall.net import free_port
from hall_controller.registry import Availability
from tests.fixtures.devices import Enrolments
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


def v5_client(broker: Broker, username: str, password: str) -> tuple[paho.Client, list[int]]:
    """An MQTT 5 client; returns it and the list its refused-or-accepted connect reason lands in."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=MQTTProtocolVersion.MQTTv5)
    client.username_pw_set(username, password)
    reasons: list[int] = []
    connected = threading.Event()

    def on_connect(_c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        reasons.append(reason.value)
        connected.set()

    client.on_connect = on_connect
    client.connect(broker.host, broker.port)
    client.loop_start()
    connected.wait(10)
    return client, reasons


def test_a_device_cannot_speak_for_another(
    private_mosquitto: Callable[..., Broker], tmp_path: Path, enrolments: Enrolments
) -> None:
    hall = new_hall_id()
    enrolments.enrol_controller(hall)
    login = enrolments.enrol("printer-1", hall=hall).mqtt
    enrolments.enrol("printer-2", hall=hall)
    passwords, acl = enrolments.broker_files(tmp_path / "auth", hall)
    broker = private_mosquitto(
        extra=f"user root\npassword_file {passwords}\nacl_file {acl}\n", anonymous=False
    )
    # The controller signs in with its own enrolled credential file (in the enrolments' data folder).
    settings = controller_settings(broker.url, enrolments.settings.data_dir, hall)
    with running_controller(settings) as controller:
        assert controller.link.v5  # Mosquitto speaks MQTT 5: the controller uses it
        device = SimulatedDevice(hall, "printer-1", "ticket_printer", capabilities=["print"])
        device.start(broker.url, login.username, login.password)
        rogue, connect_reasons = v5_client(broker, login.username, login.password)
        try:
            assert wait_until(
                lambda: (r := controller.registry.get("printer-1")) and r.availability is Availability.ONLINE
            )
            assert controller.send_command("printer-1", "print").result(10).code is CompletionCode.SUCCESS
            assert connect_reasons == [0]

            # Publishing on another device's topic is dropped by the broker; on its own it passes.
            # One connection keeps order: once the second arrives, the first would have too.
            forged = State(instance="forged", seq=1, ts=0, data={"paper": "none"}).encode()
            rogue.publish(topics.topic(hall, "printer-2", topics.Channel.STATE), forged, qos=1)
            rogue.publish(topics.topic(hall, "printer-1", topics.Channel.STATE), forged, qos=1)
            assert wait_until(lambda: (r := controller.registry.get("printer-1")) and r.instance == "forged")
            assert controller.registry.get("printer-2") is None

            # Reading another device's commands: the broker never delivers them.
            heard: list[str] = []
            subscribed = threading.Event()
            rogue.on_message = lambda _c, _u, message: heard.append(message.topic)
            rogue.on_subscribe = lambda *_: subscribed.set()
            rogue.subscribe(
                [(topics.command_filter(hall, "printer-2"), 1), (topics.command_filter(hall, "printer-1"), 1)]
            )
            assert subscribed.wait(10)
            assert (
                controller.send_command("printer-2", "print", timeout=0.3).result(5).code
                is CompletionCode.TIME_OUT
            )
            controller.send_command("printer-1", "print").result(10)
            assert wait_until(lambda: heard)
            assert heard == [topics.topic(hall, "printer-1", topics.Channel.CMD, "print")]
        finally:
            rogue.loop_stop()
            rogue.disconnect()
            device.stop()

    _, wrong = v5_client(broker, login.username, "wrong-password")
    assert wrong and wrong[0] != 0
    _, anonymous = v5_client(broker, "", "")
    assert anonymous and anonymous[0] != 0


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hall test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


def test_controller_and_device_over_tls(private_mosquitto: Callable[..., Broker], tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path / "tls")
    tls_port = free_port()
    private_mosquitto(
        extra=f"user root\nlistener {tls_port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
    )
    assert wait_until(lambda: _tcp(tls_port))
    url = f"mqtts://127.0.0.1:{tls_port}"
    hall = new_hall_id()
    with running_controller(controller_settings(url, tmp_path, hall, mqtt_ca_file=ca)) as controller:
        device = SimulatedDevice(hall, "display-1", "display", capabilities=["show"])
        device.start(url, ca_file=ca)
        try:
            assert wait_until(
                lambda: (r := controller.registry.get("display-1")) and r.availability is Availability.ONLINE
            )
            assert controller.send_command("display-1", "show").result(10).ok
        finally:
            device.stop()
    # Without the hall's CA the broker's certificate is not trusted.
    stranger = SimulatedDevice(hall, "display-2", "display")
    stranger.start(url)
    try:
        assert not stranger.connected.wait(2)
    finally:
        stranger.stop()


def _tcp(port: int) -> bool:
    from hall.net import tcp_open

    return tcp_open("127.0.0.1", port)


def test_generator_command_line(tmp_path: Path) -> None:
    from hall_controller.mosquitto_acl import main

    logins = tmp_path / "logins.json"
    logins.write_text(
        json.dumps(
            [
                {"username": "hall-09/$controller", "password_hash": password_hash("c" * 43)},
                {"username": "hall-09/kiosk-1", "password_hash": password_hash("k" * 43)},
            ]
        )
    )
    main(["--hall", "hall-09", "--logins", str(logins), "--out", str(tmp_path / "out")])
    lines = (tmp_path / "out" / "passwords").read_text().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["hall-09/$controller", "hall-09/kiosk-1"]
    assert verify_password(lines[1].split(":", 1)[1], "k" * 43)
    assert (tmp_path / "out" / "passwords").stat().st_mode & 0o777 == 0o600
    acl = (tmp_path / "out" / "acl").read_text()
    assert "pattern write hall/v1/%u/status" in acl and "user hall-09/$controller" in acl

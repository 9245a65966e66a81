"""The reader's health on the device contract: the pure mapping, and a watcher publishing over Mosquitto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.idcard.health import STATE_KEY, ReaderHealthReporter, health_update
from devices.idcard.pcsc import PcscWatcher
from devices.idcard.reader import ReaderHealth, ReaderState
from devices.protocol import topics
from devices.protocol.device import ProtocolDevice
from devices.protocol.health import HealthCode
from hall.net import mqtt_host_port
from tests.fixtures.mqtt import Broker
from tests.fixtures.pcsc import PcscStack


@pytest.mark.parametrize(
    ("state", "raised"),
    [
        (ReaderState.READY, None),
        (ReaderState.CARD_PRESENT, None),
        (ReaderState.READER_MISSING, HealthCode.CARD_READER_MISSING),
        (ReaderState.SERVICE_DOWN, HealthCode.HARDWARE_ERROR),
        (ReaderState.FAULT, HealthCode.HARDWARE_ERROR),
    ],
)
def test_health_maps_onto_contract_issues(state: ReaderState, raised: HealthCode | None) -> None:
    update = health_update(ReaderHealth(state, "Virtual PCD 00 00", recoveries=2))
    assert update.data == {"state": state.value, "reader": "Virtual PCD 00 00", "recoveries": 2}
    assert [i.code for i in update.raise_issues] == ([raised.value] if raised else [])
    assert raised is None or raised.value not in update.clear_issues
    assert len(update.raise_issues) + len(update.clear_issues) == 2


def test_reporter_updates_the_device_state_and_clears_issues() -> None:
    device = ProtocolDevice("hall-01", "kiosk-01", kind="kiosk")  # not started: state is kept locally
    reporter = ReaderHealthReporter(device)
    reporter.report(ReaderHealth(ReaderState.READER_MISSING))
    assert [i.code for i in device.issues] == ["card-reader-missing"]
    assert device.state_data[STATE_KEY] == {"state": "reader-missing", "reader": None, "recoveries": 0}
    reporter.report(ReaderHealth(ReaderState.READY, "r"))
    assert device.issues == []
    assert device.state_data[STATE_KEY]["state"] == "ready"


@pytest.fixture
def state_messages(mosquitto: Broker) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    url = mosquitto.url
    received: list[dict[str, Any]] = []
    client = paho.Client(CallbackAPIVersion.VERSION2)
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, message: received.append(json.loads(message.payload))
    client.on_subscribe = lambda *_args: subscribed.set()
    client.connect(*mqtt_host_port(url))
    client.subscribe(topics.topic("hall-01", "kiosk-idcard", topics.Channel.STATE), qos=1)
    client.loop_start()
    assert subscribed.wait(5)
    yield url, received
    client.loop_stop()
    client.disconnect()


def _wait_for(
    received: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(received):
            if predicate(message):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no matching state in {received[-3:]}")


def _reader_state(message: dict[str, Any]) -> str:
    return str(message.get("data", {}).get(STATE_KEY, {}).get("state"))


@pytest.mark.integration
@pytest.mark.slow
def test_watcher_health_reaches_the_broker(
    pcsc: PcscStack, state_messages: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = state_messages
    device = ProtocolDevice("hall-01", "kiosk-idcard", kind="kiosk", heartbeat_seconds=30)
    device.start(url)
    watcher = PcscWatcher(pcsc.reader_name, poll_ms=100, retry_seconds=0.1).start()
    try:
        assert device.connected.wait(10)
        ReaderHealthReporter(device).follow(watcher)
        _wait_for(received, lambda m: _reader_state(m) == "ready")
        pcsc.unplug_reader()
        missing = _wait_for(received, lambda m: _reader_state(m) == "reader-missing")
        assert [i["code"] for i in missing["issues"]] == ["card-reader-missing"]
        pcsc.plug_reader()
        back = _wait_for(received, lambda m: _reader_state(m) == "ready" and m["seq"] > missing["seq"])
        assert back["issues"] == []
    finally:
        watcher.stop()
        device.stop()

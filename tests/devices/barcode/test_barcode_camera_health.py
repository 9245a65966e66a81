"""A QR camera that is unplugged and plugged back: the loop keeps running, the health reaches the broker
(Mosquitto and the embedded amqtt broker both)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.barcode.loop import ScanLoop
from devices.camera import CameraError, CameraHealth, CameraState, OpenCVSource, SupervisedSource
from devices.camera.health import CameraHealthReporter, camera_health_update
from devices.protocol import topics
from devices.protocol.device import ProtocolDevice
from firmware_sim.capture.codes import qr_picture
from hall.net import mqtt_host_port
from tests.fixtures.mqtt import Broker


def _video(path: Path, text: str, frames: int = 6) -> None:
    frame = np.full((240, 320, 3), 160, np.uint8)
    picture = cv2.cvtColor(qr_picture(text, box=4), cv2.COLOR_GRAY2BGR)
    frame[20 : 20 + picture.shape[0], 20 : 20 + picture.shape[1]] = picture
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (320, 240))
    for _ in range(frames):
        writer.write(frame)
    writer.release()


def test_health_maps_onto_the_contract_issue() -> None:
    missing = camera_health_update(CameraHealth(CameraState.MISSING, "camera 0", "gone", 1), "qr_camera")
    assert missing.data == {"state": "missing", "recoveries": 1}
    assert [item.code for item in missing.raise_issues] == ["camera-missing"]
    ok = camera_health_update(CameraHealth(CameraState.OK, "camera 0"), "qr_camera")
    assert ok.raise_issues == []
    assert ok.clear_issues == ["camera-missing"]


def test_one_missing_camera_keeps_the_issue_while_the_other_is_fine() -> None:
    device = ProtocolDevice("hall-01", "kiosk-01", kind="kiosk")  # not started: state kept locally
    qr, document = CameraHealthReporter(device, "qr_camera"), CameraHealthReporter(device, "document_camera")
    document.report(CameraHealth(CameraState.MISSING, "camera 1"))
    qr.report(CameraHealth(CameraState.OK, "camera 0"))
    assert [item.code for item in device.issues] == ["camera-missing"]
    document.report(CameraHealth(CameraState.OK, "camera 1", recoveries=1))
    assert device.issues == []


def test_supervised_source_reopens_a_lost_camera(tmp_path: Path) -> None:
    video = tmp_path / "camera.avi"
    attempts = {"count": 0}

    def opener() -> OpenCVSource:
        attempts["count"] += 1
        if not video.exists():
            raise CameraError("cannot open camera source (unplugged)")
        source = OpenCVSource(video)
        video.unlink()  # the camera is "unplugged" after this stream
        return source

    health: list[CameraHealth] = []
    source = SupervisedSource(opener, name="usb camera", retry_seconds=0.01, on_health=health.append)
    _video(video, "A", frames=3)
    frames = [source.read() for _ in range(3)]
    assert all(frame is not None for frame in frames)
    reader = threading.Thread(target=lambda: frames.append(source.read()))
    reader.start()
    deadline = time.monotonic() + 5
    while source.health().ok and time.monotonic() < deadline:
        time.sleep(0.01)
    assert source.health().state is CameraState.MISSING
    _video(video, "A", frames=3)  # plugged back
    reader.join(10)
    assert frames[-1] is not None
    assert source.health() == CameraHealth(CameraState.OK, "usb camera", "", 1)
    states = [item.state for item in health]
    changes = [state for index, state in enumerate(states) if index == 0 or states[index - 1] != state]
    assert changes == [CameraState.OK, CameraState.MISSING, CameraState.OK]
    source.close()
    assert source.read() is None


@pytest.fixture
def kiosk_states(any_broker: Broker) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    client = paho.Client(CallbackAPIVersion.VERSION2)
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, message: received.append(json.loads(message.payload))
    client.on_subscribe = lambda *_args: subscribed.set()
    client.connect(*mqtt_host_port(any_broker.url))
    client.subscribe(topics.topic("hall-01", "kiosk-qr", topics.Channel.STATE), qos=1)
    client.loop_start()
    assert subscribed.wait(5)
    yield any_broker.url, received
    client.loop_stop()
    client.disconnect()


def _wait_for(received: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for message in list(received):
            if predicate(message):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no matching state in {received[-3:]}")


def _camera_state(message: dict[str, Any]) -> str:
    return str(message.get("data", {}).get("qr_camera", {}).get("state"))


@pytest.mark.integration
def test_scan_loop_survives_an_unplugged_camera_and_reports_it_over_the_broker(
    tmp_path: Path, kiosk_states: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = kiosk_states
    device = ProtocolDevice("hall-01", "kiosk-qr", kind="kiosk", heartbeat_seconds=30)
    device.start(url)
    assert device.connected.wait(10)
    reporter = CameraHealthReporter(device, "qr_camera")
    video = tmp_path / "camera.avi"
    plugged = threading.Event()
    plugged.set()

    def opener() -> OpenCVSource:
        if not plugged.is_set():
            raise CameraError("cannot open camera source 0")
        return OpenCVSource(video)

    _video(video, "TICKET-A012")
    codes: list[str] = []
    source = SupervisedSource(opener, name="camera 0", retry_seconds=0.05, on_health=reporter.report)
    loop = ScanLoop(source, lambda found: codes.append(found.text))
    try:
        loop.start()
        _wait_for(received, lambda m: _camera_state(m) == "ok")
        deadline = time.monotonic() + 10
        while not codes and time.monotonic() < deadline:
            time.sleep(0.02)
        plugged.clear()  # unplugged: when this stream ends, reopening fails until it is plugged again
        deadline = time.monotonic() + 10
        while not source.health().detail.startswith("cannot open") and time.monotonic() < deadline:
            time.sleep(0.02)
        unplugged_at = device.seq_published
        missing = _wait_for(received, lambda m: m["seq"] == unplugged_at)
        assert _camera_state(missing) == "missing"
        assert [item["code"] for item in missing["issues"]] == ["camera-missing"]
        plugged.set()
        back = _wait_for(received, lambda m: m["seq"] > unplugged_at)
        assert _camera_state(back) == "ok"
        assert back["issues"] == []
        assert back["data"]["qr_camera"]["recoveries"] >= 1
        assert codes[0] == "TICKET-A012"
    finally:
        loop.stop()
        device.stop()

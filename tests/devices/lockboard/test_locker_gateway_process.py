"""The gateway as a process: the demo bank announces itself on a real broker; layouts are validated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.lockboard.gateway import parse_layout
from devices.protocol import topics
from tests.fixtures.mqtt import Broker


def test_layouts_are_parsed_and_bad_ones_named() -> None:
    slots = parse_layout("1:0:S, 1:1:m,2:15:XL")
    assert [(s.number, s.board, s.lock, s.size) for s in slots] == [
        (1, 1, 0, "S"),
        (2, 1, 1, "M"),
        (3, 2, 15, "XL"),
    ]
    for bad in ["", "1:0", "1:16:S", "a:0:S", "1:0:HUGE"]:
        with pytest.raises(ValueError, match="compartment|no compartment"):
            parse_layout(bad)


def test_real_gateway_refuses_a_missing_port_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")} | {
        "HALL_DATA_DIR": str(tmp_path)
    }
    done = subprocess.run(
        [sys.executable, "-m", "devices.lockboard", "--port", str(tmp_path / "nope"), "--layout", "1:0:S"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("locker gateway: error: cannot open lock-board port")
    assert "Traceback" not in done.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_demo_bank_process_announces_its_compartments(mosquitto: Broker, tmp_path: Path) -> None:
    hall = "t-lockersim"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")}
    env |= {"HALL_MQTT_URL": mosquitto.url, "HALL_HALL_ID": hall, "HALL_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "firmware_sim.lockers.main"], env=env)
    got = threading.Event()
    seen: dict[str, object] = {}

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        seen.update(json.loads(message.payload))
        got.set()

    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.on_message = on_message
    client.connect(mosquitto.host, mosquitto.port)
    client.subscribe(topics.topic(hall, "locker-bank-01", topics.Channel.DESC), qos=1)
    client.loop_start()
    try:
        assert got.wait(30), "no description from the simulated locker bank"
        assert seen["kind"] == "locker_bank"
        assert seen["attributes"] == {"sizes": "S,S,M,M,L,M,L,XL", "compartments": 8}
    finally:
        client.loop_stop()
        client.disconnect()
        process.terminate()
        assert process.wait(20) == 0

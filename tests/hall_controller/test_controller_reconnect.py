"""The broker restarts: controller and devices reconnect by themselves and the hall carries on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from firmware_sim.device import SimulatedDevice
from hall_controller.controller import HallController
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker, start_amqtt
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(params=["mosquitto", "amqtt"])
def own_broker(
    request: pytest.FixtureRequest, private_mosquitto: Callable[..., Broker], tmp_path: Path
) -> Broker:
    """A broker of this test's own, so restarting it disturbs no one else."""
    if request.param == "mosquitto":
        return private_mosquitto()
    broker = start_amqtt(tmp_path / "amqtt")
    request.addfinalizer(broker.stop)
    return broker


def test_broker_restart(own_broker: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    with running_controller(controller_settings(own_broker.url, tmp_path, hall)) as controller:
        device = SimulatedDevice(hall, "window-01-keypad", "caller_keypad", capabilities=["beep"])
        device.start(own_broker.url)
        try:
            assert wait_until(
                lambda: (
                    (r := controller.registry.get("window-01-keypad"))
                    and r.availability is Availability.ONLINE
                )
            )
            restarted_at = time.time()
            sessions = controller.link.connections
            own_broker.restart()  # retained messages are gone too (persistence off)
            # Counted, not polled: on a busy machine the controller may be back before a poll sees it gone.
            reconnected = wait_until(lambda: controller.link.connections > sessions, timeout=40)
            assert reconnected, "the controller did not reconnect"
            assert device.connected.wait(40), "the device did not reconnect"
            # Heard from again after the restart, and online: the device re-announced on its new
            # connection (the broker may have delivered its last will while shutting down).
            assert wait_until(lambda: _online_since(controller, "window-01-keypad", restarted_at), timeout=30)
            assert controller.send_command("window-01-keypad", "beep").result(10).ok
        finally:
            device.stop()


def _online_since(controller: HallController, device_id: str, moment: float) -> bool:
    record = controller.registry.get(device_id)
    return record is not None and record.availability is Availability.ONLINE and record.last_seen > moment

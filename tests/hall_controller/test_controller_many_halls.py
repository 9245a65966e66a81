"""Several halls share one broker: each controller sees and commands only its own devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.protocol.payloads import CompletionCode
from firmware_sim.device import SimulatedDevice
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


def test_halls_on_one_broker_stay_apart(any_broker: Broker, tmp_path: Path) -> None:
    east, west = new_hall_id(), new_hall_id()
    # The same device id in both halls, as every hall has a "ticket-printer-01".
    east_printer = SimulatedDevice(east, "ticket-printer-01", "ticket_printer", capabilities=["print"])
    west_printer = SimulatedDevice(west, "ticket-printer-01", "ticket_printer", capabilities=["print"])
    west_only = SimulatedDevice(west, "main-display", "queue_display", capabilities=["show"])
    with (
        running_controller(controller_settings(any_broker.url, tmp_path / "east", east)) as east_controller,
        running_controller(controller_settings(any_broker.url, tmp_path / "west", west)) as west_controller,
    ):
        for device in (east_printer, west_printer, west_only):
            device.start(any_broker.url)
        try:
            assert wait_until(lambda: west_controller.registry.counts()[Availability.ONLINE] == 2)
            assert wait_until(lambda: east_controller.registry.counts()[Availability.ONLINE] == 1)
            assert east_controller.registry.get("main-display") is None
            east_record = east_controller.registry.get("ticket-printer-01")
            assert east_record is not None and east_record.instance == east_printer.instance
            assert not east_record.duplicate

            outcome = east_controller.send_command("ticket-printer-01", "print", {"n": 1}).result(10)
            assert outcome.code is CompletionCode.SUCCESS
            assert len(east_printer.executed) == 1 and west_printer.executed == []
            # East's controller cannot reach a west-only device: it times out instead.
            stray = east_controller.send_command("main-display", "show", timeout=0.5).result(5)
            assert stray.code is CompletionCode.TIME_OUT and west_only.executed == []
        finally:
            for device in (east_printer, west_printer, west_only):
                device.stop()

"""The simulated-device base: every completion code a device can give, through a real broker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devices.protocol.device import CommandResult
from devices.protocol.payloads import Command, CompletionCode
from firmware_sim.device import SimulatedDevice
from hall_controller.registry import Availability
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = pytest.mark.integration


def test_completion_codes(mosquitto: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    device = SimulatedDevice(
        hall, "locker-bank-01", "locker_bank", capabilities=["unlock"], command_delay=0.01
    )

    @device.command("count")
    def count(command: Command) -> CommandResult:
        return CommandResult(result={"double": int(command.args["n"]) * 2})

    with running_controller(controller_settings(mosquitto.url, tmp_path, hall)) as controller:
        device.start(mosquitto.url)
        try:
            assert wait_until(
                lambda: (
                    (r := controller.registry.get("locker-bank-01")) and r.availability is Availability.ONLINE
                )
            )

            def code(name: str, args: dict[str, object] | None = None) -> CompletionCode:
                return controller.send_command("locker-bank-01", name, args).result(10).code

            assert code("unlock") is CompletionCode.SUCCESS
            device.fail_next(CompletionCode.HARDWARE_ERROR)
            assert code("unlock") is CompletionCode.HARDWARE_ERROR
            assert code("unlock") is CompletionCode.SUCCESS
            device.not_ready = True
            assert code("unlock") is CompletionCode.DEVICE_NOT_READY
            device.not_ready = False
            assert controller.send_command("locker-bank-01", "count", {"n": 21}).result(10).result == {
                "double": 42
            }
            assert code("count", {}) is CompletionCode.INVALID_DATA
            assert code("count", {"n": "many"}) is CompletionCode.INVALID_DATA
            assert code("unknown") is CompletionCode.UNSUPPORTED_COMMAND
            assert code("announce") is CompletionCode.SUCCESS
        finally:
            device.stop()


def test_a_command_that_arrives_expired_is_not_executed(mosquitto: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    device = SimulatedDevice(hall, "printer-1", "ticket_printer", capabilities=["print"])
    # A controller whose clock is a minute slow: its deadlines have passed when they arrive.
    slow = controller_settings(mosquitto.url, tmp_path, hall)
    with running_controller(slow, clock=lambda: time.time() - 60) as controller:
        device.start(mosquitto.url)
        try:
            assert wait_until(
                lambda: (r := controller.registry.get("printer-1")) and r.availability is Availability.ONLINE
            )
            outcome = controller.send_command("printer-1", "print", timeout=5).result(10)
            assert outcome.code is CompletionCode.TIME_OUT and outcome.acknowledged
            assert device.executed == []
        finally:
            device.stop()

"""An unlock's completion as docs/lockers.md tells a gateway maker to send it: the code decides (issue 21).

A third-party gateway that answered ``hardwareError`` with ``{"outcome": "OPEN_NOT_DETECTED"}`` and no
compartment was taken for an unreachable board (the deposit's compartment went to ``unknown``, not
``fault``), and ``success`` with an empty result too (1–2 of 10 unlocks failed).
"""

from __future__ import annotations

import pytest

from devices.protocol.payloads import CompletionCode
from hall_controller.commands import CommandOutcome
from hall_controller.lockers.mqtt_doors import door_outcome
from hall_controller.lockers.ports import OpenOutcome


def completion(code: CompletionCode, result: dict[str, object]) -> CommandOutcome:
    return CommandOutcome("locker-bank-01", "unlock", "r-1", code, result)


@pytest.mark.parametrize(
    ("code", "result", "door"),
    [
        (CompletionCode.SUCCESS, {}, OpenOutcome.OPENED),
        (CompletionCode.SUCCESS, {"compartment": 3, "outcome": "opened"}, OpenOutcome.OPENED),
        (CompletionCode.HARDWARE_ERROR, {"outcome": "OPEN_NOT_DETECTED"}, OpenOutcome.OPEN_NOT_DETECTED),
        (CompletionCode.HARDWARE_ERROR, {}, OpenOutcome.OPEN_NOT_DETECTED),
        (
            CompletionCode.HARDWARE_ERROR,
            {"compartment": 3, "outcome": "OPEN_NOT_DETECTED"},
            OpenOutcome.OPEN_NOT_DETECTED,
        ),
        (CompletionCode.DEVICE_NOT_READY, {"outcome": "unreachable"}, OpenOutcome.UNREACHABLE),
        (CompletionCode.DEVICE_NOT_READY, {}, OpenOutcome.UNREACHABLE),
        (CompletionCode.TIME_OUT, {}, OpenOutcome.UNREACHABLE),
        (CompletionCode.INVALID_DATA, {}, OpenOutcome.UNREACHABLE),
    ],
)
def test_the_completion_code_says_what_happened_to_the_door(
    code: CompletionCode, result: dict[str, object], door: OpenOutcome
) -> None:
    assert door_outcome(completion(code, result), 3) is door

"""Doors over the device contract: ``cmd/unlock`` to the bank's gateway, awaiting its completion."""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeoutError

from devices.protocol import lockers
from devices.protocol.payloads import CompletionCode
from hall_controller.commands import CommandOutcome
from hall_controller.extensions import ControllerContext
from hall_controller.lockers.ports import OpenOutcome

log = logging.getLogger(__name__)

# What an unlock's completion code says about the door (docs/lockers.md, "MQTT"): the code decides; the
# result (`UnlockResult`) is informative only.
BY_CODE = {
    CompletionCode.SUCCESS: OpenOutcome.OPENED,
    CompletionCode.HARDWARE_ERROR: OpenOutcome.OPEN_NOT_DETECTED,
}


def door_outcome(outcome: CommandOutcome, number: int) -> OpenOutcome:
    """An unlock's completion → what happened to the door.

    ``success`` is an opening (the gateway saw the door open), whatever the result holds; ``hardwareError``
    is a pulse that went out with the door staying shut (``OPEN_NOT_DETECTED``: the compartment is out of
    use until someone sees to it); every other code (``deviceNotReady``: the board did not answer,
    ``timeOut``, ...) leaves the door unknown until the bank's state says.
    """
    found = BY_CODE.get(outcome.code, OpenOutcome.UNREACHABLE)
    if not outcome.ok:
        log.warning("unlock %d ended %s (%s): %s", number, outcome.code.value, outcome.message, found.value)
    return found


class MqttDoors:
    def __init__(self, context: ControllerContext, timeout: float = 6.0) -> None:
        self._context = context
        self._timeout = timeout

    def open(self, bank_id: str, number: int) -> OpenOutcome:
        args = lockers.UnlockArgs(compartment=number).model_dump()
        try:
            future = self._context.send_command(bank_id, lockers.UNLOCK, args, self._timeout)
            # The controller completes the future with timeOut itself; the margin only guards against a bug.
            outcome = future.result(self._timeout + 2)
        except (ValueError, FutureTimeoutError) as err:
            log.warning("%s: unlock %d not sent or not answered: %s", bank_id, number, err)
            return OpenOutcome.UNREACHABLE
        return door_outcome(outcome, number)

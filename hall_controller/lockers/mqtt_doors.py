"""Doors over the device contract: ``cmd/unlock`` to the bank's gateway, awaiting its completion."""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeoutError

from pydantic import ValidationError

from devices.protocol import lockers
from hall_controller.extensions import ControllerContext
from hall_controller.lockers.ports import OpenOutcome

log = logging.getLogger(__name__)


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
        try:
            result = lockers.UnlockResult.model_validate(outcome.result)
        except ValidationError:
            log.warning("%s: unlock %d ended %s (%s)", bank_id, number, outcome.code, outcome.message)
            return OpenOutcome.UNREACHABLE
        return OpenOutcome(result.outcome.value)

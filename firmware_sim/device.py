"""The simulated-device base: a `ProtocolDevice` whose commands succeed after a short, settable delay.

Concrete simulators (printer, locker bank, displays...) subclass it and register real-looking command
handlers; tests use the fault switches (`fail_next`, `not_ready`, `raise_issue`) to drive the
controller's health and completion paths through the real wire contract.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from devices.protocol.device import CommandFailedError, CommandResult, ProtocolDevice
from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import Command, CompletionCode


class SimulatedDevice(ProtocolDevice):
    def __init__(
        self,
        hall: str,
        device_id: str,
        kind: str,
        *,
        capabilities: Iterable[str] = (),
        events: Iterable[str] = (),
        heartbeat_seconds: float = 10.0,
        command_delay: float = 0.0,
        model: str = "sim",
        firmware: str = "sim-1.0",
    ) -> None:
        capabilities = list(capabilities)
        super().__init__(
            hall,
            device_id,
            kind=kind,
            model=model,
            firmware=firmware,
            capabilities=capabilities,
            events=events,
            heartbeat_seconds=heartbeat_seconds,
        )
        self.command_delay = command_delay
        self.not_ready = False
        self._faults: list[CompletionCode] = []
        self._faults_lock = threading.Lock()
        self._pause = threading.Event()
        for capability in capabilities:
            self.register_command(capability, self._simulated_command)

    def fail_next(self, code: CompletionCode) -> None:
        """The next command completes with `code` instead of success."""
        with self._faults_lock:
            self._faults.append(code)

    def raise_issue(self, code: HealthCode, message: str = "") -> None:
        self.update_state(raise_issues=[issue(code, message)])

    def clear_issue(self, code: HealthCode) -> None:
        self.update_state(clear_issues=[code.value])

    def _simulated_command(self, command: Command) -> CommandResult:
        if self.not_ready:
            raise CommandFailedError(CompletionCode.DEVICE_NOT_READY, "simulated: not ready")
        with self._faults_lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            raise CommandFailedError(fault, "simulated fault")
        if self.command_delay:
            self._pause.wait(self.command_delay)
        return CommandResult(result={"echo": command.args})

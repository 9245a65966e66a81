"""The card reader's health on the device contract: a small adapter onto `ProtocolDevice` state.

The reader appears in the owning device's state (the kiosk's) as ``data["id_card_reader"]``; a missing
reader raises the contract's ``card-reader-missing`` issue, pcscd down or a reader fault raises
``hardware-error``; both clear once the reader is back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devices.idcard.reader import ReaderHealth, ReaderState
from devices.protocol.device import ProtocolDevice
from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import HealthIssue

if TYPE_CHECKING:  # pyscard is an optional extra ("hardware")
    from devices.idcard.pcsc import PcscWatcher, ReaderEvent

STATE_KEY = "id_card_reader"
_OUR_CODES = (HealthCode.CARD_READER_MISSING.value, HealthCode.HARDWARE_ERROR.value)


@dataclass(frozen=True)
class HealthUpdate:
    data: dict[str, str | int | None]
    raise_issues: list[HealthIssue]
    clear_issues: list[str]


def health_update(health: ReaderHealth) -> HealthUpdate:
    """Pure: what the device's state should say for `health`."""
    data: dict[str, str | int | None] = {
        "state": health.state.value,
        "reader": health.reader,
        "recoveries": health.recoveries,
    }
    if health.state is ReaderState.READER_MISSING:
        raised = issue(HealthCode.CARD_READER_MISSING)
    elif health.state in (ReaderState.SERVICE_DOWN, ReaderState.FAULT):
        raised = issue(HealthCode.HARDWARE_ERROR, f"读卡器故障 card reader: {health.state.value}")
    else:
        return HealthUpdate(data, [], list(_OUR_CODES))
    return HealthUpdate(data, [raised], [code for code in _OUR_CODES if code != raised.code])


class ReaderHealthReporter:
    """Publishes the reader's health through `device` whenever it changes."""

    def __init__(self, device: ProtocolDevice) -> None:
        self.device = device
        self._last: HealthUpdate | None = None
        self._lock = threading.Lock()

    def report(self, health: ReaderHealth) -> None:
        update = health_update(health)
        with self._lock:
            if update == self._last:
                return
            self._last = update
            self.device.update_state(
                {STATE_KEY: update.data}, raise_issues=update.raise_issues, clear_issues=update.clear_issues
            )

    def follow(self, watcher: PcscWatcher) -> None:
        """Reports now and after every reader event of `watcher`."""

        def on_event(_event: ReaderEvent) -> None:
            self.report(watcher.health())

        watcher.on_event = on_event
        self.report(watcher.health())

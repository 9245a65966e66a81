"""The kiosk's heart, without a window: the flow state, fed events one at a time on one thread.

In the app that thread is Kivy's (events are scheduled onto it); in tests it is the test's own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.flow import FlowConfig, initial_state, step
from kiosk.flow import events as ev
from kiosk.flow.state import KioskState
from kiosk.runtime import Runner

log = logging.getLogger(__name__)

Listener = Callable[[KioskState], None]


class KioskCore:
    def __init__(self, config: FlowConfig, runner: Runner) -> None:
        self.config = config
        self.state: KioskState = initial_state()
        self._runner = runner
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def handle(self, event: ev.Event) -> None:
        before = self.state
        self.state, effects = step(self.config, self.state, event)
        if not isinstance(event, ev.Tick):
            log.debug("%s: %s -> %s", type(event).__name__, before.screen.value, self.state.screen.value)
        self._runner.perform(effects)
        if self.state != before:
            for listener in self._listeners:
                listener(self.state)

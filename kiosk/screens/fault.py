"""A device fault, explained kindly, with the other ways offered."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("fault")


class FaultScreen(KioskScreen):
    explanation = StringProperty("")
    alternatives = StringProperty("")

    def render(self, state: KioskState) -> None:
        fault = state.fault
        if fault is None:
            return
        self.explanation = self.t(f"fault_{fault.device.value}")
        self.alternatives = "\n".join(f"→ {self.t(key)}" for key in fault.alternatives)

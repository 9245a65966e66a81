"""The locker door opened for this applicant."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("pickup")


class PickupScreen(KioskScreen):
    where = StringProperty("")
    instruction = StringProperty("")

    def render(self, state: KioskState) -> None:
        pickup = state.session.pickup if state.session else None
        if pickup is None:
            self.where = self.instruction = ""
            return
        self.where = self.t("locker_where", locker=pickup.locker, compartment=pickup.compartment)
        self.instruction = self.t("locker_opened", compartment=pickup.compartment)

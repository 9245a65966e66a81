"""The attract screen shown while nobody uses the kiosk (both languages at once: nobody has chosen yet)."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.messages import text
from kiosk.screens.base import KioskScreen, load_kv

load_kv("attract")


class AttractScreen(KioskScreen):
    reminder = StringProperty("")

    def render(self, state: KioskState) -> None:
        if state.card_reminded and state.card_present:
            self.reminder = f"{text('take_card', Language.ZH)} {text('take_card', Language.EN)}"
        else:
            self.reminder = ""

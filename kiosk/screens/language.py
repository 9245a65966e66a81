"""Choose 中文 or English (and elder mode) before anything else."""

from __future__ import annotations

from kivy.properties import BooleanProperty

from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("language")


class LanguageScreen(KioskScreen):
    elder = BooleanProperty(False)

    def render(self, state: KioskState) -> None:
        self.elder = bool(state.session and state.session.elder)

    def choose(self, code: str) -> None:
        self.post(ev.LanguageChosen(Language(code)))

    def toggle_elder(self) -> None:
        self.post(ev.ElderModeToggled())

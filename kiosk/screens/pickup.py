"""取件: the pickup code on a digit pad, or the SMS QR shown to the scanner (no sign-in); then where the
open door is. A signed-in person's ID card opens straight away (the menu's 取件)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import events as ev
from kiosk.flow.state import KioskState, Screen
from kiosk.screens.base import KioskScreen, load_kv

load_kv("pickup")
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "←", "0", "C")
CODE_LENGTH = 8


class PickupScreen(KioskScreen):
    where = StringProperty("")
    instruction = StringProperty("")
    entering = BooleanProperty(False)  # the pad is shown: no door opened yet
    shown_digits = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._digits = ""
        for key in KEYS:
            button = Factory.KeypadKey(text=key)
            button.bind(on_release=lambda _b, k=key: self.press(k))
            self.ids.keypad.add_widget(button)

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None or state.screen is not Screen.PICKUP or session.busy or session.pickup:
            self._digits = ""  # nothing typed outlives the screen, the session or an answer
            self._refresh()
        pickup = session.pickup if session else None
        self.entering = bool(session and pickup is None and session.applicant is None)
        if pickup is None:
            self.where = self.instruction = ""
            return
        self.where = self.t("locker_where", locker=pickup.bank_number, compartment=pickup.compartment)
        self.instruction = self.t("locker_opened")

    def press(self, key: str) -> None:
        if key == "C":
            self._digits = ""
        elif key == "←":
            self._digits = self._digits[:-1]
        elif len(self._digits) < CODE_LENGTH:
            self._digits += key
        self._refresh()
        self.post(ev.Touched())

    def _refresh(self) -> None:
        # Shown as typed, grouped in fours as the SMS prints it; gone with the session.
        digits = self._digits
        self.shown_digits = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))

    def submit(self) -> None:
        digits, self._digits = self._digits, ""
        self._refresh()
        self.post(ev.PickupCodeEntered(digits))

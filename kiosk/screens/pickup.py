"""取件: the pickup code on a digit pad, or the SMS QR shown to the scanner (no sign-in); then where the
open door is. A signed-in person's ID card opens straight away (the menu's 取件)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import events as ev
from kiosk.flow.state import KioskState, Screen
from kiosk.screens.base import KioskScreen, add_digit_keys, load_kv, typed

load_kv("pickup")
CODE_LENGTH = 8


class PickupScreen(KioskScreen):
    where = StringProperty("")
    instruction = StringProperty("")
    entering = BooleanProperty(False)  # the pad is shown: no door opened yet
    shown_digits = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._digits = ""
        add_digit_keys(self.ids.keypad, self.press)

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
        self._digits = typed(self._digits, key, CODE_LENGTH)
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

"""Identify: ID card on the reader, an e-ID QR code, or (where allowed) phone number + one-time code."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from hall.privacy import mask_phone
from kiosk.flow import events as ev
from kiosk.flow.model import IdentifyMethod, Service
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, add_digit_keys, load_kv, typed

load_kv("identify")


class IdentifyScreen(KioskScreen):
    phone_allowed = BooleanProperty(True)
    lockers = BooleanProperty(True)
    phone_mode = BooleanProperty(False)
    code_stage = BooleanProperty(False)
    shown_digits = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._digits = ""
        add_digit_keys(self.ids.keypad, self.press)

    def render(self, state: KioskState) -> None:
        from kivy.app import App

        session = state.session
        self.phone_allowed = App.get_running_app().flow_config.allow_phone_login
        self.lockers = App.get_running_app().flow_config.by_lockers
        phone_mode = bool(session and session.identify_method is IdentifyMethod.PHONE)
        code_stage = bool(session and session.phone)
        if phone_mode != self.phone_mode or code_stage != self.code_stage:
            self._digits = ""
        self.phone_mode, self.code_stage = phone_mode, code_stage
        self._refresh()

    def phone_method(self) -> None:
        self.post(ev.IdentifyMethodChosen(IdentifyMethod.PHONE))

    def verify(self) -> None:
        """证照核验 needs no sign-in: anyone holding a paper may check it."""
        self.post(ev.ServiceChosen(Service.VERIFY))

    def pickup(self) -> None:
        """取件 with the SMS's code or QR needs no sign-in: the code is the credential."""
        self.post(ev.ServiceChosen(Service.PICKUP))

    def hall_complaint(self) -> None:
        """A complaint about the hall needs no sign-in (anonymous unless a phone is left)."""
        self.post(ev.HallComplaintOpened())

    def press(self, key: str) -> None:
        self._digits = typed(self._digits, key, 6 if self.code_stage else 11)
        self._refresh()
        self.post(ev.Touched())

    def _refresh(self) -> None:
        # The phone number is masked once complete, the code always.
        if self.code_stage:
            self.shown_digits = "●" * len(self._digits)
        else:
            self.shown_digits = mask_phone(self._digits) if len(self._digits) == 11 else self._digits

    def submit_digits(self) -> None:
        digits, self._digits = self._digits, ""
        self._refresh()
        self.post(ev.CodeEntered(digits) if self.code_stage else ev.PhoneEntered(digits))

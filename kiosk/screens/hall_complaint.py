"""对大厅投诉: a complaint about the hall itself (waiting, a clerk's manner, a broken machine, ...), with or
without signing in; a topic touched, a contact phone on the digit pad or none (then it is anonymous and
nobody can be told, as the screen says). The case service sends it to the hall's office (ADR 0012)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import events as ev
from kiosk.flow.machine import HALL_TOPICS
from kiosk.flow.state import KioskState, Screen
from kiosk.screens.base import KioskScreen, add_digit_keys, load_kv, shown_phone, typed

load_kv("hall_complaint")
PHONE_LENGTH = 11
CHOSEN = "√ "  # the CJK font has √ (the identify screen's 证照核验), not the check mark U+2713


class HallComplaintScreen(KioskScreen):
    shown_digits = StringProperty("")
    signed_in = BooleanProperty(False)  # then in the person's name; else anonymous without a phone

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._digits = ""
        self._topic = ""
        self._filed: object = None  # the filing's answer last shown (its arrival wipes the screen)
        add_digit_keys(self.ids.keypad, self.press)

    def render(self, state: KioskState) -> None:
        session = state.session
        notice = session.notice if session else None
        filed = notice if notice and notice.key.startswith("hall_complaint_filed") else None
        elsewhere = session is None or state.screen is not Screen.HALL_COMPLAINT
        if elsewhere or (filed is not None and filed is not self._filed):
            self._digits, self._topic = "", ""  # nothing typed outlives the screen or its filing
        self._filed = filed
        self.shown_digits = shown_phone(self._digits)
        self.signed_in = bool(session and session.applicant)
        if session is None or self.unchanged("topics", session.language, self._topic):
            return
        box = self.ids.topics
        box.clear_widgets()
        for topic in HALL_TOPICS:
            words = self.t(f"hall_topic_{topic}")
            button = Factory.SecondButton(text=CHOSEN + words if topic == self._topic else words)
            if topic == self._topic:
                button.background_color = (1, 0.84, 0.2, 1)
            button.bind(on_release=lambda _b, t=topic: self.choose(t))
            box.add_widget(button)

    def choose(self, topic: str) -> None:
        self._topic = topic
        self.post(ev.Touched())  # re-rendered: the chosen topic marked

    def press(self, key: str) -> None:
        self._digits = typed(self._digits, key, PHONE_LENGTH)
        self.shown_digits = shown_phone(self._digits)
        self.post(ev.Touched())

    def send(self) -> None:
        self.post(ev.HallComplaintGiven(self._topic, self._digits))

"""投诉: a complaint about one of the person's own cases, for a reason touched (no typing); the case service
routes it to the case's department, which answers within 5 working days."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout

from kiosk.flow import events as ev
from kiosk.flow.machine import COMPLAINT_REASONS
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("complaint")


class ComplaintScreen(KioskScreen):
    def open_hall(self) -> None:
        """对大厅投诉: about the hall itself, not one of the cases below."""
        self.post(ev.HallComplaintOpened())

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None or self.unchanged("cases", session.language, session.cases, session.busy):
            return
        zh = session.language is Language.ZH
        box = self.ids.cases
        box.clear_widgets()
        if not session.cases and not session.busy:
            box.add_widget(Factory.Body(text=self.t("nothing_to_complain")))
        for case in session.cases:
            card = Factory.Card()
            card.add_widget(
                Factory.Body(text=f"{case.case_id} · {case.item_name_zh if zh else case.item_name_en}")
            )
            reasons = GridLayout(cols=2, spacing=dp(10), size_hint_y=None)
            reasons.bind(minimum_height=reasons.setter("height"))
            for reason in COMPLAINT_REASONS:
                button = Factory.SecondButton(text=self.t(f"complaint_reason_{reason}"))
                button.bind(
                    on_release=lambda _b, c=case.case_id, r=reason: self.post(ev.ComplaintGiven(c, r))
                )
                reasons.add_widget(button)
            card.add_widget(reasons)
            box.add_widget(card)

"""Rate a finished matter, 1 to 5 (好差评)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout

from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("rating")


class RatingScreen(KioskScreen):
    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None:
            return
        zh = session.language is Language.ZH
        rateable = [case for case in session.cases if case.finished and not case.rated]
        if self.unchanged("cases", session.language, session.cases):
            return
        box = self.ids.cases
        box.clear_widgets()
        if session.cases and not rateable:
            box.add_widget(Factory.Body(text=self.t("nothing_to_rate")))
        for case in rateable:
            card = Factory.Card()
            card.add_widget(
                Factory.Body(text=f"{case.case_id} · {case.item_name_zh if zh else case.item_name_en}")
            )
            stars = GridLayout(cols=5, spacing=dp(10), size_hint_y=None, height=dp(110))
            for score in range(1, 6):
                button = Factory.BigButton(text="★" * score)
                button.bind(on_release=lambda _b, c=case.case_id, s=score: self.post(ev.RatingGiven(c, s)))
                stars.add_widget(button)
            card.add_widget(stars)
            box.add_widget(card)

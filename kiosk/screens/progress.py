"""The applicant's cases: stage, due date and what happens next."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("progress")


class ProgressScreen(KioskScreen):
    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None:
            return
        zh = session.language is Language.ZH
        if self.unchanged("cases", session.language, session.cases):
            return
        box = self.ids.cases
        box.clear_widgets()
        for case in session.cases:
            card = Factory.Card()
            card.add_widget(
                Factory.Title(text=f"{case.case_id} · {case.item_name_zh if zh else case.item_name_en}")
            )
            lines = (
                self.t("stage", stage=case.stage if zh else case.stage_en or case.stage),
                self.t("due", date=case.due_date, estimated="yes" if case.due_estimated else ""),
                self.t("next_step", text=case.next_step_zh if zh else case.next_step_en),
            )
            card.add_widget(Factory.Body(text="\n".join(lines)))
            if case.needs_supplement:
                button = Factory.BigButton(text=self.t("supplement_button"))
                button.bind(on_release=lambda _b, c=case.case_id: self.post(ev.SupplementChosen(c)))
                card.add_widget(button)
            box.add_widget(card)

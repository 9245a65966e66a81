"""The outcome: submitted (提交回执 printed), materials missing (one-time notice printed), or kept to send."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow.machine import submitted_message
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("apply_done")


class ApplyDoneScreen(KioskScreen):
    headline = StringProperty("")
    case_line = StringProperty("")
    missing = StringProperty("")
    good = BooleanProperty(False)

    def render(self, state: KioskState) -> None:
        session = state.session
        outcome = session.outcome if session else None
        if session is None or outcome is None or session.item is None:
            return
        zh = session.language is Language.ZH
        names = {m.code: (m.name_zh if zh else m.name_en) for m in session.item.materials}
        if outcome.queued:
            self.headline, self.good = self.t("submission_queued"), False
        elif outcome.accepted and session.supplement_case:
            self.headline, self.good = self.t("supplement_submitted"), True
        elif outcome.accepted:
            key, params = submitted_message(outcome, session.item)
            self.headline, self.good = self.t(key, **params), True
        else:
            self.headline, self.good = self.t("submission_incomplete"), False
        self.case_line = self.t("case_number", case_id=outcome.case_id) if outcome.case_id else ""
        self.missing = "\n".join(f"· {names.get(code, code)}" for code in outcome.missing)

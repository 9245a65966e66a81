"""One item: materials, time limit, fee and the steps; print the guide or apply."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.pinyin import with_tones
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("item")


class ItemScreen(KioskScreen):
    title = StringProperty("")
    facts = StringProperty("")
    materials = StringProperty("")
    steps = StringProperty("")

    def render(self, state: KioskState) -> None:
        item = state.session.item if state.session else None
        if item is None or state.session is None:
            return
        zh = state.session.language is Language.ZH
        if zh:
            self.title = item.name_zh
        elif not item.name_en or item.name_en == item.name_zh:  # no English name: the Chinese, in pinyin
            self.title = f"{item.name_zh}\n{with_tones(item.name_zh)}"
        else:
            self.title = item.name_en
        department = item.department_zh if zh else item.department_en
        if not zh and department == item.department_zh:
            department = f"{department} ({with_tones(department)})"
        self.facts = "\n".join(
            (
                self.t("department", department=department),
                self.t("time_limit", days=item.time_limit_days),
                self.t("fee", fee=item.fee_zh if zh else item.fee_en),
            )
        )
        self.materials = "\n".join(
            f"· {m.name_zh if zh else m.name_en}{'' if m.required else ' ' + self.t('optional')}"
            for m in item.materials
        )
        steps = item.steps_zh if zh else item.steps_en
        self.steps = "  →  ".join(f"{n}. {step}" for n, step in enumerate(steps, 1))

    def print_guide(self) -> None:
        self.post(ev.PrintGuideRequested())

    def apply(self) -> None:
        self.post(ev.ApplyChosen())

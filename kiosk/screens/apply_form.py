"""The item's form, pre-filled from the card; identity fields are shown (masked) but not edited."""

from __future__ import annotations

from kivy.properties import StringProperty

from hall.privacy import mask_id_number
from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.messages import LABELS
from kiosk.screens.base import KioskScreen, load_kv, make

load_kv("apply_form")
LOCKED = ("name", "id_number")


class ApplyFormScreen(KioskScreen):
    item_name = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._built_for: tuple[str, ...] = ()

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None or session.item is None:
            return
        zh = session.language is Language.ZH
        self.item_name = session.item.name_zh if zh else session.item.name_en
        names = (*(name for name, _value in session.form), session.language.value)
        if names == self._built_for:
            return  # typing must not rebuild the fields under the applicant's finger
        self._built_for = names
        box = self.ids.fields
        box.clear_widgets()
        for name, value in session.form:
            shown = mask_id_number(value) if name == "id_number" else value
            box.add_widget(
                make(
                    "FormField",
                    label=self.t(LABELS.get(name, name)),
                    value=shown,
                    editable=name not in LOCKED,
                    field_name=name,
                )
            )

    def changed(self, name: str, value: str) -> None:
        self.post(ev.FieldChanged(name, value))

    def confirm(self) -> None:
        self.post(ev.FormConfirmed())

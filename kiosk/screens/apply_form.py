"""The item's form, pre-filled from the card; identity fields are shown (masked) but not edited; the phone
is typed on a digit pad and shown masked as it is typed."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from hall.privacy import mask_id_number
from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.messages import LABELS
from kiosk.screens import rare_input  # noqa: F401 - registers RareGlyphsInput for apply_form.kv
from kiosk.screens.base import KioskScreen, add_digit_keys, load_kv, make, shown_phone, typed

load_kv("apply_form")
LOCKED = ("name", "id_number")
PADDED = ("phone",)  # typed on the digit pad, not in the field
PHONE_LENGTH = 11


class ApplyFormScreen(KioskScreen):
    """The phone number is typed on a digit pad under the fields (no keyboard needed)."""

    item_name = StringProperty("")
    has_phone = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._built_for: tuple[str, ...] = ()
        self._phone = ""  # the phone as the flow holds it (the field shows it masked)

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None or session.item is None:
            return
        zh = session.language is Language.ZH
        self.item_name = session.item.name_zh if zh else session.item.name_en
        self._phone = session.form_value("phone")
        names = (*(name for name, _value in session.form), session.language.value)
        if names == self._built_for:
            row = self._row("phone")
            if row is not None:
                row.value = shown_phone(self._phone)
            return  # typing must not rebuild the fields under the applicant's finger
        self._built_for = names
        box = self.ids.fields
        box.clear_widgets()
        self.has_phone = "phone" in dict(session.form)
        self.ids.digits.clear_widgets()
        if self.has_phone:
            add_digit_keys(self.ids.digits, self.press)
        for name, value in session.form:
            shown = value
            if name == "id_number":
                shown = mask_id_number(value)
            elif name in PADDED:
                shown = shown_phone(value)
            box.add_widget(
                make(
                    "FormField",
                    label=self.t(LABELS.get(name, name)),
                    value=shown,
                    editable=name not in LOCKED + PADDED,
                    field_name=name,
                )
            )

    def press(self, key: str) -> None:
        """A key of the digit pad: the phone the flow holds, changed (the field shows it masked)."""
        if self._row("phone") is None:
            return
        text = typed(self._phone, key, PHONE_LENGTH)
        if text != self._phone:  # a full number is left as it is
            self._phone = text
            self.changed("phone", text)

    def _row(self, name: str) -> Any:
        for row in self.ids.fields.children:
            if getattr(row, "field_name", "") == name:
                return row
        return None

    def changed(self, name: str, value: str) -> None:
        self.post(ev.FieldChanged(name, value))

    def confirm(self) -> None:
        self.post(ev.FormConfirmed())

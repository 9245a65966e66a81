"""Find an item by its name or department; the quick words are the catalogue's own departments."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import events as ev
from kiosk.flow.catalogue import example_name, quick_words
from kiosk.flow.model import Language, Service
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("guide")


class GuideScreen(KioskScreen):
    applying = BooleanProperty(False)
    example = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._items: tuple[object, ...] | None = None

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None:
            return
        self.applying = session.service is Service.APPLY
        whole = not session.query and session.items  # the whole catalogue: its words are the chips
        if whole and not self.unchanged("chips", session.language, session.items):
            self.example = example_name(session.items, session.language)
            self.ids.chips.clear_widgets()
            for chip in quick_words(session.items, session.language):
                button = Factory.SecondButton(text=chip)
                button.bind(on_release=lambda _b, c=chip: self.search(c))
                self.ids.chips.add_widget(button)
        if session.items is not self._items:
            self._items = session.items
            box = self.ids.item_list
            box.clear_widgets()
            zh = session.language is Language.ZH
            for item in session.items:
                name, department = (
                    (item.name_zh, item.department_zh) if zh else (item.name_en, item.department_en)
                )
                label = f"{name}\n{department}"
                row = Factory.RowButton(text=label)
                row.bind(on_release=lambda _b, i=item.item_id: self.post(ev.ItemChosen(i)))
                box.add_widget(row)

    def search(self, words: str | None = None) -> None:
        if words is not None:
            self.ids.query.text = words
        self.post(ev.SearchSubmitted(self.ids.query.text))

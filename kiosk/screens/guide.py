"""Find an item: by its name or department, typed on the kiosk's pinyin keyboard (candidates from the
catalogue's names and its life events' everyday words: kd → 开店; or the initials alone: spjy), or
browsed by the catalogue's theme, department, group of applicants and life event (生活事件: 就业,
开办企业 …). Where the catalogue has no English name, the English guide shows the Chinese with its pinyin."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import events as ev
from kiosk.flow.catalogue import example_name, quick_words, spoken_names, values_of
from kiosk.flow.model import FACETS, ItemSummary, Language, Service
from kiosk.flow.pinyin import Word, candidates, letters_only, with_tones, words_of
from kiosk.flow.state import KioskState
from kiosk.screens import rare_input  # noqa: F401 - registers RareGlyphsInput for guide.kv
from kiosk.screens.base import KioskScreen, load_kv

load_kv("guide")
LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
BACKSPACE = "←"


class GuideScreen(KioskScreen):
    applying = BooleanProperty(False)
    example = StringProperty("")
    keyboard_open = BooleanProperty(False)
    browsing = StringProperty("")
    pinyin_names = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._items: tuple[object, ...] | None = None
        self._words: tuple[Word, ...] = ()
        self._catalogue: tuple[ItemSummary, ...] = ()
        self._language = Language.ZH
        self._facet = ""
        keys = [*LETTER_ROWS[0], *LETTER_ROWS[1], BACKSPACE, *LETTER_ROWS[2]]
        for key in keys:
            button = Factory.PinyinKey(text=key)
            button.bind(on_release=lambda _b, k=key: self.press(k))
            self.ids.letters.add_widget(button)
        clear = Factory.PinyinWordKey()  # its text (清空 / Clear) in the session's language, at render
        clear.bind(on_release=lambda _b: self.press("clear"))
        self._clear = clear
        self.ids.letters.add_widget(clear)
        for facet in FACETS:
            button = Factory.SecondButton()
            button.facet = facet
            button.bind(on_release=lambda _b, f=facet: self.open_facet(f))
            self.ids.facets.add_widget(button)

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None:
            return
        self._language = session.language
        zh = session.language is Language.ZH
        self.applying = session.service is Service.APPLY
        self._clear.text = self.t("key_clear")
        for button in self.ids.facets.children:
            button.text = self.t(f"facet_{button.facet}")
        if session.catalogue and session.catalogue is not self._catalogue:
            self._catalogue = session.catalogue
            self.example = example_name(session.catalogue, session.language)
            self._words = words_of(spoken_names(session.catalogue))
            self._fill_chips()
            self.typed(self.ids.query.text)
        self.browsing = self._browsing_text(session.browse)
        if session.items is not self._items:
            self._items = session.items
            box = self.ids.item_list
            box.clear_widgets()
            self.pinyin_names = not zh and any(_no_english(item) for item in session.items)
            for item in session.items:
                if zh:
                    label = f"{item.name_zh}\n{item.department_zh}"
                elif _no_english(item):
                    label = f"{item.name_zh}\n{with_tones(item.name_zh)}\n{_english_department(item)}"
                else:
                    label = f"{item.name_en}\n{item.department_en}"
                row = Factory.RowButton(text=label)
                row.bind(on_release=lambda _b, i=item.item_id: self.post(ev.ItemChosen(i)))
                box.add_widget(row)

    # Typing --------------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """A key of the pinyin keyboard: a letter, backspace or clear."""
        field = self.ids.query
        if key == "clear":
            field.text = ""
        elif key == BACKSPACE:
            field.text = field.text[:-1]
        else:
            field.text = (field.text + key)[:50]
        self.post(ev.Touched())

    def typed(self, text: str) -> None:
        """The field changed: the candidates for the latin letters at its end."""
        box = self.ids.candidates
        box.clear_widgets()
        tail = _latin_tail(text)
        for word in candidates(self._words, tail) if tail else ():
            button = Factory.SecondButton(text=word)
            button.bind(on_release=lambda _b, w=word: self.choose(w))
            box.add_widget(button)

    def choose(self, word: str) -> None:
        """A candidate touched: it takes the place of the letters typed, and is searched for."""
        text = self.ids.query.text
        self.ids.query.text = text[: len(text) - len(_latin_tail(text))] + word
        self.search()

    def search(self, words: str | None = None) -> None:
        if words is not None:
            self.ids.query.text = words
        self.keyboard_open = False
        self._facet = ""
        self.post(ev.SearchSubmitted(self.ids.query.text))

    # Browsing ------------------------------------------------------------------------------------

    def open_facet(self, facet: str) -> None:
        """A facet touched: its values (the catalogue's) become the chips."""
        self._facet = facet
        self._fill_chips()
        self.post(ev.Touched())

    def _fill_chips(self) -> None:
        self.ids.chips.clear_widgets()
        if self._facet:
            values = values_of(self._catalogue, self._facet)
            for value in values:
                button = Factory.SecondButton(text=self._value_text(self._facet, value))
                button.value = value
                button.bind(on_release=lambda _b, f=self._facet, v=value: self.browse(f, v))
                self.ids.chips.add_widget(button)
            return
        for chip in quick_words(self._catalogue, self._language):
            button = Factory.SecondButton(text=chip)
            button.bind(on_release=lambda _b, c=chip: self.search(c))
            self.ids.chips.add_widget(button)

    def browse(self, facet: str, value: str) -> None:
        self.ids.query.text = ""
        self.keyboard_open = False
        self.post(ev.Browsed(facet, value))

    def _value_text(self, facet: str, value: str) -> str:
        if facet == "department_zh":
            return value if self._language is Language.ZH else f"{value}\n{with_tones(value)}"
        return self.t(f"value_{value}") if f"value_{value}" in _known_values() else value

    def _browsing_text(self, browse: tuple[str, ...]) -> str:
        if len(browse) != 2:
            return ""
        facet, value = browse
        return self.t("browsing", facet=self.t(f"facet_{facet}"), value=self._value_text(facet, value))


def _known_values() -> frozenset[str]:
    from kiosk.messages import MESSAGES

    return frozenset(key for key in MESSAGES if key.startswith("value_"))


def _no_english(item: ItemSummary) -> bool:
    """The catalogue gave no English name (the service repeats the Chinese where it has none)."""
    return not item.name_en or item.name_en == item.name_zh


def _english_department(item: ItemSummary) -> str:
    if item.department_en and item.department_en != item.department_zh:
        return item.department_en
    return f"{item.department_zh} ({with_tones(item.department_zh)})"


def _latin_tail(text: str) -> str:
    """The latin letters typed at the end of the field (what the candidates are for)."""
    tail = ""
    for ch in reversed(text):
        if not (ch.isascii() and ch.isalpha()):
            break
        tail = ch + tail
    return letters_only(tail)

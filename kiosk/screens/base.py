"""What every screen shares: posting events to the flow, translating text, loading its own .kv lazily."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen

from kiosk.flow import events as ev
from kiosk.flow.state import KioskState
from kiosk.screens import hideable, kinsoku  # noqa: F401 - register HideableBox, KinsokuLabel for widgets.kv

_loaded: set[str] = set()
HERE = Path(__file__).parent


def load_kv(name: str) -> None:
    """Loads `<name>.kv` once (the shared widgets first)."""
    for kv in ("widgets", name):
        if kv not in _loaded:
            Builder.load_file(str(HERE / f"{kv}.kv"))
            _loaded.add(kv)


def make(kind: str, **properties: Any) -> Any:
    """A widget of a kv dynamic class, its kv-declared properties set after construction."""
    widget = Factory.get(kind)()
    for name, value in properties.items():
        setattr(widget, name, value)
    return widget


DIGIT_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "←", "0", "C")


def add_digit_keys(box: Any, press: Callable[[str], None]) -> None:
    """A digit pad's keys into `box`, each touch handed to `press` with its key."""
    for key in DIGIT_KEYS:
        button = Factory.KeypadKey(text=key)
        button.bind(on_release=lambda _b, k=key: press(k))
        box.add_widget(button)


def typed(text: str, key: str, limit: int) -> str:
    """`text` after a digit pad's `key`: C clears, ← takes the last digit back, a digit adds up to `limit`."""
    if key == "C":
        return ""
    if key == "←":
        return text[:-1]
    return text + key if len(text) < limit else text


def shown_phone(digits: str) -> str:
    """A phone number as typed on a pad, its 4th to 7th digits starred as soon as they are typed
    (138****5678): the person checks the ends, the people behind them see no whole number."""
    return digits[:3] + "*" * len(digits[3:7]) + digits[7:]


class KioskScreen(Screen):  # type: ignore[misc]
    """A thin screen: shows a KioskState, turns touches into flow events."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown_in: dict[str, tuple[object, ...]] = {}

    def post(self, event: ev.Event) -> None:
        App.get_running_app().post(event)

    def t(self, key: str, **params: Any) -> str:
        translated: str = App.get_running_app().t(key, **params)
        return translated

    def render(self, state: KioskState) -> None:
        """Fill the screen from the state. Screens with only static text need nothing here."""

    def unchanged(self, box: str, *shown: object) -> bool:
        """True when `box` already shows `shown`. Every touch re-renders the screen (it resets the idle
        clock): rows rebuilt between a finger's down and up would lose its tap, so rebuild only on change."""
        if self._shown_in.get(box) == shown:
            return True
        self._shown_in[box] = shown
        return False

"""Hidden means not there: a widget at opacity 0 takes no touch, and neither does anything inside it.

Kivy hands a touch to every child whatever its opacity, and a disabled widget swallows the touches that
land on it; a hidden, disabled panel (the phone keypad before it is asked for) would take the touches
meant for the buttons it lies over. The kiosk's layouts and buttons (widgets.kv, shell.kv) are built on
these classes, so whatever a screen hides is out of the touch's way.
"""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button

from kiosk.screens.rare_glyphs import RareGlyphs


class HiddenTakesNoTouch:
    """Mixin (before the Kivy widget class): touches pass by while `opacity` is 0."""

    opacity: float

    def on_touch_down(self, touch: Any) -> bool:
        if self.opacity <= 0:
            return False
        handled: bool = super().on_touch_down(touch)  # type: ignore[misc]
        return handled

    def on_touch_move(self, touch: Any) -> bool:
        if self.opacity <= 0:
            return False
        handled: bool = super().on_touch_move(touch)  # type: ignore[misc]
        return handled

    def on_touch_up(self, touch: Any) -> bool:
        if self.opacity <= 0 and touch.grab_current is not self:
            return False
        handled: bool = super().on_touch_up(touch)  # type: ignore[misc]
        return handled


class HideableBox(HiddenTakesNoTouch, BoxLayout):  # type: ignore[misc]
    pass


class HideableButton(HiddenTakesNoTouch, RareGlyphs, Button):  # type: ignore[misc]
    pass


Factory.register("HideableBox", cls=HideableBox)
Factory.register("HideableButton", cls=HideableButton)

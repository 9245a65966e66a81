"""A text field never typed behind Kivy's docked keyboard: touched, it is lifted above the keyboard's top
edge by scrolling its ScrollView (with room added under the content while the keyboard is up, when the
content is too short to scroll that far); the room goes when the field loses focus.

Kivy docks its on-screen keyboard (keyboard_mode "systemanddock") over the bottom of the window without
moving anything: a field in the lower part of a screen (the apply form's address in landscape) would lie
under it.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.scrollview import ScrollView
from kivy.uix.vkeyboard import VKeyboard

GAP = 16  # dp between the field's bottom and the keyboard's top


def keyboard_top() -> float:
    """The docked keyboard's top edge on the window (0 when none is up)."""
    boards = [w for w in Window.children if isinstance(w, VKeyboard)]
    return max((b.y + b.height * b.scale for b in boards), default=0.0)


class AboveKeyboard:
    """Mixed into a TextInput."""

    _room_added: float = 0.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fbind("focus", self._focus_changed)  # type: ignore[attr-defined]

    def _focus_changed(self, _field: Any, focused: bool) -> None:
        if focused:
            Clock.schedule_once(lambda _dt: self._lift(), 0.1)  # the keyboard docks on the next frames
        else:
            self._drop_room()

    def _view(self) -> tuple[ScrollView, Any] | None:
        parent = self.parent  # type: ignore[attr-defined]
        while parent is not None and parent is not Window:
            if isinstance(parent, ScrollView) and parent.children:
                return parent, parent.children[0]
            parent = parent.parent
        return None

    def _lift(self) -> None:
        top = keyboard_top()
        found = self._view()
        if not top or found is None or not self.focus:  # type: ignore[attr-defined]
            return
        view, content = found
        bottom = self.to_window(self.x, self.y)[1]  # type: ignore[attr-defined]
        short = top + dp(GAP) - bottom
        if short <= 0:
            return
        room = max(content.height - view.height, 0.0)
        offset = (1.0 - view.scroll_y) * room + short  # how far the content's top must then be scrolled
        if offset > room + 1:  # too short to scroll that far: room under the content, laid out, then scroll
            extra = offset - room
            left, up, right, down = content.padding
            content.padding = [left, up, right, down + extra]
            self._room_added += extra
            Clock.schedule_once(lambda _dt: self._lift(), 0.05)
            return
        view.scroll_y = 1.0 - offset / room if room else 1.0
        view.update_from_scroll()

    def _drop_room(self) -> None:
        found = self._view()
        if found is None or not self._room_added:
            return
        content = found[1]
        left, up, right, down = content.padding
        content.padding = [left, up, right, max(down - self._room_added, 0.0)]
        self._room_added = 0.0

"""A text field that draws 𠮷 (and every character the CJK font lacks) from the extension font, as the
kiosk's labels do (kiosk/screens/rare_glyphs.py).

Kivy's TextInput draws each line with a plain core label in its one font: `RareGlyphsInput` draws a line
holding such a character through the markup label, and measures it (for the cursor and selection) with
each character's own font. Imported by the screens that use it, never before the window exists (Kivy's
textinput module makes the window and reads the keyboard settings when first imported).
"""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.uix.textinput import TextInput

from hall.fonts import extension_font_path
from kiosk.screens.above_keyboard import AboveKeyboard
from kiosk.screens.rare_glyphs import drawn_from_extension, fallback_markup


class RareGlyphsInput(AboveKeyboard, TextInput):  # type: ignore[misc]
    """A Kivy TextInput whose lines with rare characters are drawn (and measured) as RareGlyphs draws,
    lifted above Kivy's docked keyboard when touched."""

    def _create_line_label(self, text: str, hint: bool = False) -> Any:
        line = text.replace("\n", "").replace("\t", " " * self.tab_width)
        wrapped = None if self.password and not hint else fallback_markup(line)
        if wrapped is None:
            return super()._create_line_label(text, hint)
        from kivy.core.text.markup import MarkupLabel

        label = MarkupLabel(text=wrapped, markup=True, **self._get_line_options())
        label.refresh()
        return label.texture

    def _get_text_width(self, text: str, tab_width: int, _label_cached: Any) -> Any:
        if self.password or fallback_markup(text) is None:
            return super()._get_text_width(text, tab_width, _label_cached)
        from kivy.core.text import Label as CoreLabel

        options = {**self._get_line_options(), "font_name": str(extension_font_path())}
        rare = CoreLabel(**options)
        return sum(
            rare.get_extents(char)[0]
            if drawn_from_extension(char)
            else super(RareGlyphsInput, self)._get_text_width(char, tab_width, _label_cached)
            for char in text
        )


Factory.register("RareGlyphsInput", cls=RareGlyphsInput)

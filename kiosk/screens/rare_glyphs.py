"""Rare characters render: 𠮷 (CJK Extension B and beyond) in a name or an item is drawn from the
extension font (hall.fonts), not shown as a box.

Kivy draws a label with one font and has no fallback. `RareGlyphs` (before the Kivy label class) draws a
text holding characters the CJK font lacks through Kivy's markup, each such character in the extension
font; the widget's `text` stays the plain text (what the tests and the wipe read). Fonts are looked at
once per character (cached).

A TextInput draws each line with a plain core label in its one font, so 𠮷 in a field (the name on the
apply form) was the font's box although the characters were right (Python holds 𠮷 as one code point;
Kivy's SDL2 text renderer draws it from a font that has it): `kiosk.screens.rare_input` draws such lines
as this module draws labels.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from PIL import ImageFont

from hall.fonts import cjk_font_path, extension_font_path

PRIVATE_USE = "\U000f0000"  # in no font: its rendering is the "missing glyph" box
FIRST_CJK = 0x3400


def _signature(font: Any, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


@lru_cache(maxsize=1)
def _fonts() -> tuple[Any, Any, str]:
    extension = extension_font_path()
    main = ImageFont.truetype(str(cjk_font_path()), 24)
    other = ImageFont.truetype(str(extension), 24) if extension is not None else None
    return main, other, str(extension or "")


@lru_cache(maxsize=8192)
def drawn_from_extension(char: str) -> bool:
    """The CJK font lacks the character and the extension font has it."""
    if ord(char) < FIRST_CJK:
        return False
    main, other, _path = _fonts()
    if other is None or _signature(main, char) != _signature(main, PRIVATE_USE):
        return False
    return _signature(other, char) != _signature(other, PRIVATE_USE)


def fallback_markup(text: str) -> str | None:
    """The text as Kivy markup with each rare character in the extension font; None when none is rare."""
    if not any(drawn_from_extension(char) for char in set(text)):
        return None
    from kivy.utils import escape_markup

    path = _fonts()[2]
    return "".join(
        f"[font={path}]{char}[/font]" if drawn_from_extension(char) else escape_markup(char) for char in text
    )


class RareGlyphs:
    """Mixin for a Kivy Label (or Button): its text drawn with the extension font where needed."""

    text: str
    markup: bool
    _rare_core = False

    def texture_update(self, *largs: Any) -> None:
        from kivy.core.text.markup import MarkupLabel
        from kivy.utils import get_hex_from_color

        me: Any = self
        wrapped = None if self.markup else fallback_markup(self.text)
        if wrapped is None:
            if self._rare_core:  # back to a plain core label for plain text
                self._rare_core = False
                me._label = None
                me._create_label()
                me._label.text = self.text
            super().texture_update(*largs)  # type: ignore[misc]
            return
        if not isinstance(me._label, MarkupLabel):
            options = {name: getattr(me, name) for name in me._font_properties}
            options["usersize"] = me.text_size
            me._label = MarkupLabel(**options)
            self._rare_core = True
        color = me.disabled_color if me.disabled else me.color
        me._label.text = f"[color={get_hex_from_color(color)}]{wrapped}[/color]"
        me._label.refresh()
        texture = me._label.texture
        me.texture = texture
        me.texture_size = list(texture.size) if texture is not None else [0, 0]

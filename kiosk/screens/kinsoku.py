"""Chinese line breaking (禁则): a closing mark such as "。" or "，" never begins a line.

Kivy wraps text without spaces character by character, so a sentence that just fills a line pushes its
final "。" alone onto the next one. `KinsokuLabel` takes the character before such a mark down with it.
Text with spaces (English, mixed) is left to Kivy.
"""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.uix.label import Label

from kiosk.screens.rare_glyphs import RareGlyphs

CLOSING = frozenset("，。、；：！？）》」』”’…・,.;:!?)")


def kinsoku(lines: list[str]) -> list[str] | None:
    """The lines with each line-starting closing mark joined by the character before it; None if fine."""
    fixed = list(lines)
    changed = False
    for index in range(1, len(fixed)):
        line, before = fixed[index], fixed[index - 1]
        if line and line[0] in CLOSING and len(before) > 1:
            fixed[index - 1], fixed[index] = before[:-1], before[-1] + line
            changed = True
    return fixed if changed else None


class KinsokuLabel(RareGlyphs, Label):  # type: ignore[misc]
    _kinsoku_source: str = ""
    _kinsoku_fixed: str = ""

    def texture_update(self, *largs: Any) -> None:
        core = self._label
        if self._kinsoku_fixed and core.text == self._kinsoku_fixed:
            core.text = self._kinsoku_source  # laid out again (new width): from the text as given
        super().texture_update(*largs)
        text = core.text
        lines = getattr(core, "_cached_lines", None)
        if not text or " " in text or not lines or len(lines) < 2 or self.markup:
            return
        fixed = kinsoku(["".join(word.text for word in line.words) for line in lines])
        if fixed is None or "".join(fixed) != text.replace("\n", ""):
            return  # the layout is not a plain character wrap of this text: leave it
        self._kinsoku_source, self._kinsoku_fixed = text, "\n".join(fixed)
        core.text = self._kinsoku_fixed
        core.refresh()
        if core.texture is not None:
            self.texture = core.texture
            self.texture_size = list(core.texture.size)


Factory.register("KinsokuLabel", cls=KinsokuLabel)

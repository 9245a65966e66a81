"""Every character the kiosk can show exists in the CJK font Kivy uses: no boxes, in either language."""

from __future__ import annotations

from pathlib import Path

from PIL import ImageFont

import kiosk
from hall.fonts import cjk_font_path, extension_font_path
from kiosk.messages import MESSAGES
from kiosk.screens.rare_glyphs import drawn_from_extension

PRIVATE_USE = "\U000f0000"  # certainly not in the font: its rendering is the "missing glyph" box


def test_every_character_on_screen_is_in_the_font() -> None:
    font = ImageFont.truetype(str(cjk_font_path()), 32)

    def signature(char: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(char)
        return mask.size, bytes(mask)

    missing_glyph = signature(PRIVATE_USE)
    shown = "".join(zh + en for zh, en in MESSAGES.values())
    package = Path(kiosk.__file__).parent
    for source in [*package.rglob("*.kv"), *(package / "screens").glob("*.py")]:
        shown += source.read_text(encoding="utf-8")
    characters = sorted({char for char in shown if not char.isascii() and not char.isspace()})
    assert len(characters) > 300  # the check really looked at the Chinese text
    # A character the CJK font lacks is drawn from the extension font (kiosk/screens/rare_glyphs.py).
    missing = [
        char for char in characters if signature(char) == missing_glyph and not drawn_from_extension(char)
    ]
    assert missing == [], f"not in {cjk_font_path().name}: {' '.join(missing)}"


def test_a_rare_character_is_drawn_from_the_extension_font() -> None:
    from kiosk.screens.rare_glyphs import fallback_markup

    assert drawn_from_extension("𠮷") and not drawn_from_extension("吉") and not drawn_from_extension("a")
    assert fallback_markup("吉田") is None
    assert fallback_markup("𠮷田[1]") == f"[font={extension_font_path()}]𠮷[/font]田&bl;1&br;"

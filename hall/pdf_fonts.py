"""The CJK font embedded in every PDF the hall makes (notices, certificates, kiosk tickets and receipts)."""

from __future__ import annotations

import re
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName
from reportlab.pdfbase.ttfonts import TTFont

from hall.fonts import cjk_font_path, extension_font_path

_BEYOND_BMP = re.compile(r"^(<[0-9A-F]{2}> )<([0-9A-F]{5,6})>$", re.MULTILINE)


def _as_utf16(match: re.Match[str]) -> str:
    return f"{match.group(1)}<{chr(int(match.group(2), 16)).encode('utf-16-be').hex().upper()}>"


def glyph_name(code_point: int) -> str:
    """The Adobe Glyph List name that stands for one Unicode character (uniXXXX, or uXXXXX beyond the BMP)."""
    if code_point == 0:
        return ".notdef"
    return f"uni{code_point:04X}" if code_point <= 0xFFFF else f"u{code_point:05X}"


class NamedGlyphTTFont(TTFont):  # type: ignore[misc]
    """reportlab's TrueType subsets, each also given an /Encoding whose /Differences name every glyph.

    reportlab embeds 256-glyph subsets whose codes mean nothing outside the PDF, with a ToUnicode map for
    the text layer. A print chain that goes through PostScript (CUPS's pdftops for a PostScript queue such
    as cups-pdf, which then turns the PostScript back into PDF) drops ToUnicode; the glyph names are what
    it keeps, and uniXXXX names carry the characters through. The font stays symbolic with its (1,0)
    cmap, so viewers still pick glyphs by code and the page looks exactly the same.
    """

    def addObjects(self, doc: Any) -> None:  # noqa: N802 (reportlab's name)
        state = self.state.get(doc)
        subsets = [list(subset) for subset in state.subsets] if state is not None else []
        # The names must be read before reportlab's addObjects, which forgets the document's state.
        names = [self.getSubsetInternalName(index, doc)[1:] for index in range(len(subsets))]
        super().addObjects(doc)
        fonts = doc.idToObject["BasicFonts"].dict
        for name, subset in zip(names, subsets, strict=True):
            differences = PDFArray([0, *(PDFName(glyph_name(code)) for code in subset)])
            fonts[name].Encoding = PDFDictionary({"Type": PDFName("Encoding"), "Differences": differences})
            if any(code > 0xFFFF for code in subset):
                # reportlab writes each ToUnicode target as a bare code point, which is wrong beyond the
                # BMP (<20BB7> reads as U+20BB and a 7): there the map must hold UTF-16, a surrogate pair.
                stream = doc.idToObject[fonts[name].ToUnicode.name]
                stream.content = _BEYOND_BMP.sub(_as_utf16, stream.content)


def register_cjk_font(name: str) -> str:
    """Registers the CJK TrueType font (subfont 0 of the .ttc) with reportlab under `name`."""
    pdfmetrics.registerFont(NamedGlyphTTFont(name, str(cjk_font_path()), subfontIndex=0))
    return name


def register_extension_font(name: str) -> str | None:
    """Registers the fallback font for characters beyond the CJK font (CJK Ext-B: 𠮷), if installed."""
    path = extension_font_path()
    if path is None:
        return None
    pdfmetrics.registerFont(NamedGlyphTTFont(name, str(path)))
    return name

"""Chinese typesetting on a reportlab canvas: the embedded CJK font, line breaking, a flowing page writer.

Line breaking follows the basic 避头尾 rules of Chinese typography: closing punctuation never starts a
line and opening punctuation never ends one; runs of Latin letters and digits (case numbers, dates) are
kept whole.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from hall.pdf_fonts import register_cjk_font, register_extension_font

FONT_NAME = "HallCJK"
EXTENSION_FONT_NAME = "HallCJKExt"
PAGE_WIDTH: float = A4[0]
PAGE_HEIGHT: float = A4[1]
BLACK = (0.0, 0.0, 0.0)

# Characters that may not start a line (closing punctuation) or end one (opening punctuation).
NO_LINE_START = set("，。、；：？！）》」』】〕”’%·…—,.;:?!)]}")
NO_LINE_END = set("（《「『【〔“‘([{")
TOKEN_RE = re.compile(r"[A-Za-z0-9\-_./:#]+|.", re.DOTALL)


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Registers the CJK TrueType font once (subfont 0 of the .ttc) and returns its reportlab name."""
    return register_cjk_font(FONT_NAME)


@lru_cache(maxsize=1)
def extension_font() -> str | None:
    """The fallback for characters the CJK font lacks (CJK Ext-B: 𠮷), registered once; None if absent."""
    return register_extension_font(EXTENSION_FONT_NAME)


def _glyphs(font: str) -> dict[int, int]:
    glyphs: dict[int, int] = pdfmetrics.getFont(font).face.charToGlyph
    return glyphs


def font_runs(text: str) -> list[tuple[str, str]]:
    """`text` cut into runs, each with the font that has its glyphs: the CJK font, and the extension font
    for what only it has (a name with 𠮷 prints whole, not as "野")."""
    primary = cjk_font()
    fallback = extension_font()
    if fallback is None or text.isascii():
        return [(primary, text)]
    has, extra = _glyphs(primary), _glyphs(fallback)
    runs: list[tuple[str, str]] = []
    for char in text:
        code = ord(char)
        font = fallback if code not in has and code in extra else primary
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def text_width(text: str, size: float) -> float:
    return sum(float(pdfmetrics.stringWidth(part, font, size)) for font, part in font_runs(text))


def draw_text(canvas: Canvas, x: float, y: float, text: str, size: float, *, align: str = "left") -> None:
    """drawString with the font fallback: `align` left, center or right of `x`."""
    if align != "left":
        width = text_width(text, size)
        x -= width / 2 if align == "center" else width
    for font, part in font_runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, part)
        x += float(pdfmetrics.stringWidth(part, font, size))
    canvas.setFont(cjk_font(), size)


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def wrap_text(text: str, width: float, size: float, *, first_indent: float = 0.0) -> list[str]:
    """Breaks `text` into lines no wider than `width` (the first line `first_indent` narrower)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, size, first_indent if not lines else 0.0))
    return lines


def _wrap_paragraph(paragraph: str, width: float, size: float, first_indent: float) -> list[str]:
    tokens = TOKEN_RE.findall(paragraph)
    lines: list[list[str]] = [[]]
    used = first_indent
    for token in tokens:
        token_width = text_width(token, size)
        fits = used + token_width <= width or not lines[-1]
        if fits:
            lines[-1].append(token)
            used += token_width
            continue
        current = lines[-1]
        carried: list[str] = []
        # A closing mark may not start the new line: bring the previous token down with it.
        if token in NO_LINE_START:
            while len(current) > 1 and (not carried or carried[0] in NO_LINE_START):
                carried.insert(0, current.pop())
        # An opening mark may not end the old line: move it down.
        while len(current) > 1 and current[-1] in NO_LINE_END:
            carried.insert(0, current.pop())
        lines.append([*carried, token])
        used = sum(text_width(part, size) for part in lines[-1])
    return ["".join(line) for line in lines]


@dataclass(frozen=True)
class Margins:
    top: float = 37 * mm
    bottom: float = 35 * mm
    left: float = 28 * mm
    right: float = 26 * mm


class PageWriter:
    """Writes a document top to bottom on A4 pages, starting a new page when one is full."""

    def __init__(self, title: str, *, margins: Margins | None = None, subject: str = "") -> None:
        self.buffer = io.BytesIO()
        self.font = cjk_font()
        # The initial font is ours too, so no unembedded Helvetica is referenced.
        self.canvas = Canvas(
            self.buffer, pagesize=A4, pageCompression=1, invariant=1, initialFontName=self.font
        )
        self.canvas.setTitle(title)
        self.canvas.setSubject(subject or title)
        self.canvas.setCreator("service-hall case_service")
        self.margins = margins or Margins()
        self.y = PAGE_HEIGHT - self.margins.top

    @property
    def width(self) -> float:
        return PAGE_WIDTH - self.margins.left - self.margins.right

    def ensure_room(self, height: float) -> None:
        if self.y - height < self.margins.bottom:
            self.canvas.showPage()
            self.y = PAGE_HEIGHT - self.margins.top

    def skip(self, height: float) -> None:
        self.y -= height

    def centered(self, text: str, size: float, *, after: float = 0.0) -> None:
        for line in wrap_text(text, self.width, size):
            self.ensure_room(size * 1.6)
            self.y -= size * 1.3
            draw_text(self.canvas, self.margins.left + self.width / 2, self.y, line, size, align="center")
            self.y -= size * 0.3
        self.y -= after

    def right(self, text: str, size: float, *, inset: float = 0.0) -> None:
        self.ensure_room(size * 1.6)
        self.y -= size * 1.3
        draw_text(self.canvas, PAGE_WIDTH - self.margins.right - inset, self.y, text, size, align="right")
        self.y -= size * 0.3

    def paragraph(
        self,
        text: str,
        size: float = 15.0,
        *,
        indent_chars: float = 2.0,
        hanging: float = 0.0,
        leading: float = 1.75,
    ) -> None:
        """A body paragraph: first line indented by `indent_chars` characters (公文 style)."""
        first_indent = indent_chars * size
        lines = wrap_text(text, self.width - hanging, size, first_indent=first_indent - hanging)
        for number, line in enumerate(lines):
            self.ensure_room(size * leading)
            self.y -= size * leading
            offset = first_indent if number == 0 else hanging
            draw_text(self.canvas, self.margins.left + offset, self.y, line, size)

    def numbered(self, items: Sequence[str], size: float = 15.0) -> None:
        for number, item in enumerate(items, start=1):
            label = f"{number}．"
            self.paragraph(f"{label}{item}", size, indent_chars=2.0, hanging=2.0 * size)

    def table(
        self, rows: Iterable[tuple[str, str]], size: float = 14.0, label_width: float = 40 * mm
    ) -> None:
        """A two-column ruled table: label | value (value wraps, rows grow to fit)."""
        pad = 2.5 * mm
        self.canvas.setLineWidth(0.8)
        left = self.margins.left
        for label, value in rows:
            value_lines = wrap_text(value, self.width - label_width - 2 * pad, size) if value else [""]
            label_lines = wrap_text(label, label_width - 2 * pad, size)
            height = max(len(value_lines), len(label_lines)) * size * 1.5 + 2 * pad
            self.ensure_room(height)
            top = self.y
            bottom = top - height
            self.canvas.rect(left, bottom, self.width, height)
            self.canvas.line(left + label_width, bottom, left + label_width, top)
            for index, line in enumerate(label_lines):
                draw_text(self.canvas, left + pad, top - pad - size * (1.5 * index + 1.1), line, size)
            for index, line in enumerate(value_lines):
                draw_text(
                    self.canvas, left + label_width + pad, top - pad - size * (1.5 * index + 1.1), line, size
                )
            self.y = bottom

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()

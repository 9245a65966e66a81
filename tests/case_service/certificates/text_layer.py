"""What a PDF says and shows where: its text through poppler's pdftotext, a word's box, ink in a region."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

Box = tuple[float, float, float, float]
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def pdf_text(pdf: Path) -> str:
    """The text layer of every page as pdftotext extracts it, all white space removed."""
    result = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", "", result.stdout)


def word_box(pdf: Path, word: str) -> Box:
    """The box (points from the page's top-left) of the first word of page 1 that is exactly `word`."""
    result = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    for match in _WORD.finditer(result.stdout):
        if match.group(5) == word:
            x0, y0, x1, y1 = (float(match.group(index)) for index in range(1, 5))
            return (x0, y0, x1, y1)
    raise AssertionError(f"{word!r} is not a word of {pdf.name}'s text layer")


def region(png: Path, box: Box, dpi: int) -> np.ndarray:
    """The grey pixels of `png` (page 1 at `dpi`) inside `box` (points)."""
    gray = np.asarray(Image.open(png).convert("L"), dtype=np.int16)
    x0, y0, x1, y1 = (round(value * dpi / 72) for value in box)
    return gray[y0:y1, x0:x1]


def ink_share(pixels: np.ndarray) -> float:
    """The share of dark pixels (glyph strokes on paper)."""
    return float(np.mean(pixels < 128)) if pixels.size else 0.0


def likeness(first: np.ndarray, second: np.ndarray) -> float:
    """Normalised correlation of two equally sized regions, the best over shifts of up to one pixel
    (two renderings of one page may place a glyph a sub-pixel apart)."""
    best = -1.0
    height, width = first.shape
    core = first[1 : height - 1, 1 : width - 1].astype(np.float64)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            moved = second[1 + dy : height - 1 + dy, 1 + dx : width - 1 + dx].astype(np.float64)
            a, b = core - core.mean(), moved - moved.mean()
            norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
            if norm:
                best = max(best, float((a * b).sum()) / norm)
    return best

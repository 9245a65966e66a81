"""Where the CJK font is: Kivy, the PDFs and the web pages must never show boxes for Chinese."""

from __future__ import annotations

from pathlib import Path

from hall.errors import StartupError

# TrueType outlines (not CFF), so reportlab can embed them too.
CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)


def cjk_font_path() -> Path:
    for candidate in CJK_FONT_CANDIDATES:
        if candidate.exists():
            return candidate
    raise StartupError(
        "no CJK font found; install the Debian package fonts-wqy-zenhei (scripts/bootstrap.sh)"
    )


# CJK Unified Ideographs Extension B and beyond (𠮷 in names): TrueType, for the PDFs' fallback and
# for Chromium's pages (fontconfig finds it once the package is installed).
EXTENSION_FONT_CANDIDATES = (Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),)


def extension_font_path() -> Path | None:
    """The font for the rare characters the CJK font lacks, or None (they then print as gaps)."""
    for candidate in EXTENSION_FONT_CANDIDATES:
        if candidate.exists():
            return candidate
    return None

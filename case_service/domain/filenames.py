"""Upload filenames as they are stored and shown: the last path part only, no control or bidi
characters, no leading dots, at most 200 characters. Pure."""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 200
FALLBACK = "upload"


def safe_filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        char
        for char in unicodedata.normalize("NFC", base)
        if unicodedata.category(char)[0] not in {"C", "Z"} or char == " "
    )
    cleaned = " ".join(kept.split()).lstrip(".").strip()
    return cleaned[:MAX_LENGTH] or FALLBACK

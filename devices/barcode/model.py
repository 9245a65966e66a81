"""What a decoder finds: the text, the symbology and where the symbol sits in the image."""

from __future__ import annotations

from dataclasses import dataclass, field

from hall.privacy import scrub_text

Point = tuple[float, float]


class InvalidImageError(ValueError):
    """The image handed to the decoder is not a picture it can read (wrong type, shape or size)."""


@dataclass(frozen=True)
class Decoded:
    """One symbol read from an image.

    `points` are the symbol's corners in the caller's image coordinates, clockwise from the symbol's own
    top-left corner when the engine knows it. `engine` names the decoder and the preprocessing that found it.
    """

    text: str
    format: str
    points: tuple[Point, ...]
    engine: str = ""
    raw: bytes = field(default=b"", repr=False)

    def __repr__(self) -> str:
        # e-ID codes can carry ID and phone numbers: keep them out of logs and tracebacks.
        return f"Decoded(text={scrub_text(self.text)!r}, format={self.format!r}, engine={self.engine!r})"

    def center(self) -> Point:
        if not self.points:
            return (0.0, 0.0)
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points]
        return (sum(xs) / len(xs), sum(ys) / len(ys))

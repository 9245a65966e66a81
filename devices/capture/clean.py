"""From a found page to a clean A4 page: perspective correction, deskew, contrast, blank-page test.

Pure image functions (numpy in, numpy out), no I/O.
"""

from __future__ import annotations

import cv2
import numpy as np

from devices.capture.errors import CaptureError

A4_MM = (210.0, 297.0)
MIN_DPI, MAX_DPI = 100, 300


def a4_pixels(dpi: int) -> tuple[int, int]:
    """Width and height of an A4 page at `dpi`."""
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise CaptureError(f"dpi must be between {MIN_DPI} and {MAX_DPI}, got {dpi}")
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


def rectify(frame: np.ndarray, corners: np.ndarray, dpi: int = 200) -> np.ndarray:
    """The page inside `corners` (top-left, top-right, bottom-right, bottom-left) warped flat to A4."""
    width, height = a4_pixels(dpi)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    homography = cv2.getPerspectiveTransform(np.asarray(corners, np.float32), target)
    return np.asarray(
        cv2.warpPerspective(
            frame, homography, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    )


def _reduced(gray: np.ndarray, scale: float) -> np.ndarray:
    """`gray` resized by `scale` (< 1) with area averaging. OpenCV's area averaging is fast only for whole
    factors, so the largest whole factor is taken first and the small remainder after it."""
    height, width = gray.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    factor = int(1 / scale)
    if factor >= 2:
        # The fast path needs the size to be a whole multiple: the last few rows and columns are dropped.
        gray = cv2.resize(
            gray[: height - height % factor, : width - width % factor],
            (width // factor, height // factor),
            interpolation=cv2.INTER_AREA,
        )
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))


def _ink_mask(gray: np.ndarray) -> np.ndarray:
    return np.asarray(
        cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    )


def skew_angle(gray: np.ndarray, limit: float = 3.0, step: float = 0.25) -> float:
    """The small rotation (degrees) that makes text lines horizontal: the angle whose row profile of ink
    is the most peaked. Searched on a reduced copy, so it costs a few milliseconds."""
    small = _reduced(gray, 500 / max(gray.shape))
    ink = _ink_mask(small)
    margin = max(2, small.shape[1] // 20)
    ink[:, :margin] = 0
    ink[:, -margin:] = 0
    ink[:margin, :] = 0
    ink[-margin:, :] = 0
    if int(np.count_nonzero(ink)) < 50:
        return 0.0
    centre = (small.shape[1] / 2, small.shape[0] / 2)
    best_angle, best_peak = 0.0, -1.0
    for angle in np.arange(-limit, limit + step / 2, step):
        turn = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        rotated = cv2.warpAffine(ink, turn, (small.shape[1], small.shape[0]), flags=cv2.INTER_NEAREST)
        profile = rotated.sum(axis=1, dtype=np.float64)
        peak = float(np.var(profile))
        if peak > best_peak:
            best_angle, best_peak = float(angle), peak
    return best_angle


def deskew(page: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < 0.1:
        return page
    height, width = page.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return np.asarray(
        cv2.warpAffine(page, turn, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    )


# The levels: paper (>= 0.92 of its own lighting) to white, ink (below 60/255 of it) to black, linear between.
_INK_LEVEL = 60.0
_PAPER_LEVEL = 0.92 * 255.0


def enhance(page: np.ndarray) -> np.ndarray:
    """Paper made white and ink dark: the page divided by its own lighting (shadows, uneven light), which is
    estimated on a reduced copy by closing away the ink; then the levels stretched. Colour (seals) is kept."""
    height, width = page.shape[:2]
    # Linear sampling is enough here: the closing below removes the ink either way, and it is much cheaper
    # than area averaging at this size. Reduced first, then made grey: the same, on 1/64 of the pixels.
    small = cv2.resize(page, (max(8, width // 8), max(8, height // 8)), interpolation=cv2.INTER_LINEAR)
    if page.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    background = np.maximum(cv2.GaussianBlur(background, (0, 0), 3), 1)
    # levels(255 * page / lighting) = gain * (page - black) / lighting, with black = lighting * 60 / 255:
    # one saturating subtraction and one division on the full page instead of a division and a lookup.
    # Both images are made at the reduced size and enlarged, where they are smooth anyway.
    black = cv2.convertScaleAbs(background, alpha=_INK_LEVEL / 255.0)
    lighting = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    black = cv2.resize(black, (width, height), interpolation=cv2.INTER_LINEAR)
    if page.ndim == 3:
        lighting = cv2.merge([lighting, lighting, lighting])
        black = cv2.merge([black, black, black])
    gain = 255.0 * 255.0 / (_PAPER_LEVEL - _INK_LEVEL)
    return np.asarray(cv2.divide(cv2.subtract(page, black), lighting, scale=gain))


def is_blank(clean: np.ndarray, *, ink_fraction: float = 0.0015, reduce: int = 2) -> bool:
    """True when the page (already enhanced) has no more ink than `ink_fraction` of its inner area: dust,
    a crease, the shadow of the edge do not count, one line of text does. The ink is counted on the page
    reduced `reduce` times (the pipeline counts at about 100 dpi: 2 for a 200 dpi page)."""
    height, width = clean.shape[:2]
    inner = clean[height // 16 : height - height // 16, width // 16 : width - width // 16]
    small = inner
    if reduce > 1:
        # Area averaging (its fast path wants a whole multiple of the factor), then made grey: the same,
        # on fewer pixels.
        inner = inner[: inner.shape[0] // reduce * reduce, : inner.shape[1] // reduce * reduce]
        size = (inner.shape[1] // reduce, inner.shape[0] // reduce)
        small = cv2.resize(inner, size, interpolation=cv2.INTER_AREA)
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    ink = small < 140
    # Isolated specks are noise: keep only ink with ink around it.
    ink = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).astype(bool)
    return float(ink.mean()) < ink_fraction


def _text_lines(gray: np.ndarray) -> list[tuple[int, int]]:
    """(start row, height) of each band of rows holding ink, on the page without its margins."""
    ink = _ink_mask(gray)
    margin = max(2, gray.shape[1] // 20)
    ink[:, :margin] = 0
    ink[:, -margin:] = 0
    rows = ink.sum(axis=1, dtype=np.int64) > 255 * max(3, gray.shape[1] // 200)
    lines = []
    start = None
    for index, has_ink in enumerate([*rows.tolist(), False]):
        if has_ink and start is None:
            start = index
        elif not has_ink and start is not None:
            lines.append((start, index - start))
            start = None
    return lines


def is_upside_down(gray: np.ndarray) -> bool | None:
    """Whether the page reads upside down, from its title: government documents (GB/T 9704) and forms put
    a title in a clearly larger type than the body at the top. True/False when a line at least 1.5 times
    the median line height sits in the bottom/top fifth of the page; None (undecided) otherwise. Blocks
    taller than four body lines (tables, seals, photos) are not lines of text and are left out."""
    small = _reduced(gray, 600 / gray.shape[0])
    lines = [(start, height) for start, height in _text_lines(small) if height >= 3]
    if len(lines) < 3:
        return None
    median = float(np.median([height for _, height in lines]))
    text = [(start, height) for start, height in lines if height <= 4 * median]
    start, height = max(text, key=lambda line: line[1])
    if height < 1.5 * median:
        return None
    centre = (start + height / 2) / small.shape[0]
    if centre > 0.8:
        return True
    if centre < 0.2:
        return False
    return None

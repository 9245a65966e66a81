"""Capture: a document-camera frame in, a clean A4 page out (with what was found on the way)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from devices.capture.clean import (
    MIN_DPI,
    a4_pixels,
    deskew,
    enhance,
    is_blank,
    is_upside_down,
    rectify,
    skew_angle,
)
from devices.capture.detect import as_bgr, detect_page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapturedPage:
    image: np.ndarray  # the clean page, BGR, A4 at `dpi`
    corners: np.ndarray  # where the page was in the frame: top-left, top-right, bottom-right, bottom-left
    skew_degrees: float
    blank: bool
    dpi: int
    turned: bool = False  # laid upside down, and turned the right way up


# The page is flattened and cleaned at 1.5 times its own pixel density in the frame (no less than 100 dpi),
# then enlarged once to the dpi asked for: the camera resolves no more than that, and the warp and the
# clean-up are the costly steps, paid per pixel.
_OVERSAMPLING = 1.5
_ANALYSIS_ROWS = 600  # is_upside_down works at 600 rows, skew_angle at 500 pixels on the long side


def _reduced_green(page: np.ndarray) -> np.ndarray:
    """The page's green channel reduced by the largest whole factor that keeps >= 600 rows (area averaging
    on its fast path, so the last few rows and columns may be dropped)."""
    green = cv2.extractChannel(page, 1)
    height, width = green.shape
    factor = height // _ANALYSIS_ROWS
    if factor < 2:
        return np.asarray(green)
    return np.asarray(
        cv2.resize(
            green[: height - height % factor, : width - width % factor],
            (width // factor, height // factor),
            interpolation=cv2.INTER_AREA,
        )
    )


def working_dpi(corners: np.ndarray, dpi: int) -> int:
    """The dpi to flatten and clean at: 1.5 times the page's own density in the frame (its longer short side
    over 210 mm, its longer long side over 297 mm), within MIN_DPI ... `dpi`."""
    points = np.asarray(corners, np.float32).reshape(4, 2)
    sides = [float(np.linalg.norm(points[(i + 1) % 4] - points[i])) for i in range(4)]
    short_mm, long_mm = 210.0, 297.0  # corners are portrait: sides 0 and 2 are the short ones
    density = max(max(sides[0], sides[2]) / short_mm, max(sides[1], sides[3]) / long_mm) * 25.4
    return int(min(dpi, max(MIN_DPI, math.ceil(density * _OVERSAMPLING))))


def capture_page(frame: np.ndarray, *, dpi: int = 200) -> CapturedPage:
    """The page in `frame`, flattened, straightened and cleaned.

    Raises InvalidFrameError for input that is not an image, PageNotFoundError when no page is in view.
    """
    size = a4_pixels(dpi)  # checks the dpi before any work
    bgr = as_bgr(frame)
    found = detect_page(bgr)
    work = working_dpi(found.corners, dpi)
    flat = rectify(bgr, found.corners, work)
    clean = enhance(flat)
    # Skew and orientation are judged on a reduced copy of the green channel (ink of every colour but green
    # is dark in it): both work at about 500-600 pixels, so this one reduction serves both.
    green = _reduced_green(clean)
    angle = skew_angle(green)
    if angle:
        clean = deskew(clean, angle)
        green = _reduced_green(clean)
    blank = is_blank(clean, reduce=max(1, round(work / 100)))  # ink counted at about 100 dpi
    corners = found.corners
    turned = not blank and is_upside_down(green) is True
    if turned:
        clean = cv2.rotate(clean, cv2.ROTATE_180)
        corners = np.roll(corners, 2, axis=0)  # the page's own top-left is where the frame's bottom-right was
    if work != dpi:
        clean = np.asarray(cv2.resize(clean, size, interpolation=cv2.INTER_CUBIC))
    log.debug("captured a page at %d dpi: skew %.2f degrees, blank %s, turned %s", work, angle, blank, turned)
    return CapturedPage(image=clean, corners=corners, skew_degrees=angle, blank=blank, dpi=dpi, turned=turned)

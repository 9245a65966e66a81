"""Capture: a document-camera frame in, a clean A4 page out (with what was found on the way)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from devices.capture.clean import deskew, enhance, is_blank, is_upside_down, rectify, skew_angle
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


def capture_page(frame: np.ndarray, *, dpi: int = 200) -> CapturedPage:
    """The page in `frame`, flattened, straightened and cleaned.

    Raises InvalidFrameError for input that is not an image, PageNotFoundError when no page is in view.
    """
    bgr = as_bgr(frame)
    found = detect_page(bgr)
    flat = rectify(bgr, found.corners, dpi)
    clean = enhance(flat)
    # Skew and orientation are judged on a reduced copy of the green channel (ink of every colour but green
    # is dark in it): both work at about 500-600 pixels, so this one reduction serves both.
    green = _reduced_green(clean)
    angle = skew_angle(green)
    if angle:
        clean = deskew(clean, angle)
        green = _reduced_green(clean)
    blank = is_blank(clean)
    corners = found.corners
    turned = not blank and is_upside_down(green) is True
    if turned:
        clean = cv2.rotate(clean, cv2.ROTATE_180)
        corners = np.roll(corners, 2, axis=0)  # the page's own top-left is where the frame's bottom-right was
    log.debug("captured a page: skew %.2f degrees, blank %s, turned %s", angle, blank, turned)
    return CapturedPage(image=clean, corners=corners, skew_degrees=angle, blank=blank, dpi=dpi, turned=turned)

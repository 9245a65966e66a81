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


def capture_page(frame: np.ndarray, *, dpi: int = 200) -> CapturedPage:
    """The page in `frame`, flattened, straightened and cleaned.

    Raises InvalidFrameError for input that is not an image, PageNotFoundError when no page is in view.
    """
    bgr = as_bgr(frame)
    found = detect_page(bgr)
    flat = rectify(bgr, found.corners, dpi)
    clean = enhance(flat)
    gray = clean[:, :, 1]  # the green channel: ink of every colour but green is dark in it
    angle = skew_angle(gray)
    if angle:
        clean = deskew(clean, angle)
    blank = is_blank(clean)
    corners = found.corners
    turned = not blank and is_upside_down(clean[:, :, 1]) is True
    if turned:
        clean = cv2.rotate(clean, cv2.ROTATE_180)
        corners = np.roll(corners, 2, axis=0)  # the page's own top-left is where the frame's bottom-right was
    log.debug("captured a page: skew %.2f degrees, blank %s, turned %s", angle, blank, turned)
    return CapturedPage(image=clean, corners=corners, skew_degrees=angle, blank=blank, dpi=dpi, turned=turned)

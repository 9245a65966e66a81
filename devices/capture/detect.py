"""Finding the page in a document-camera frame: its four corners, in frame coordinates.

1. The frame is reduced by a whole factor to at most 800 pixels across; the page's outline is found as
   edges (Canny on the grey image and on the colour saturation, so a white page on a light grey desk and a
   page in shadow both show their border), closed into contours;
2. every large contour's convex hull is simplified to a quadrilateral; the candidate that is large, convex,
   fills its quadrilateral and is brighter inside than around wins. A brightness segmentation (Otsu) adds
   candidates when the edges are broken;
3. each side is refined by a robust line fit (Huber) to the edge points along it, so a pen lying across the
   border or a rounded corner does not pull the corner off; the corners are where the sides meet.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from devices.capture.errors import InvalidFrameError, PageNotFoundError
from devices.capture.geometry import intersect_lines, order_portrait, polygon_area

log = logging.getLogger(__name__)

_WORK_SIDE = 800
_MIN_PAGE_FRACTION = 0.06
_MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class PageCorners:
    corners: np.ndarray  # 4 x 2 float32 in frame coordinates: top-left, top-right, bottom-right, bottom-left
    score: float


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """The frame as BGR uint8; InvalidFrameError for anything that is not a grey, BGR or BGRA image."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise InvalidFrameError("expected a uint8 numpy image")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (3, 4)):
        raise InvalidFrameError(f"expected a grey, BGR or BGRA image, got shape {frame.shape}")
    if min(frame.shape[:2]) < 64:
        raise InvalidFrameError(f"frame too small for a page: {frame.shape[1]}x{frame.shape[0]}")
    if frame.shape[0] * frame.shape[1] > _MAX_PIXELS:
        raise InvalidFrameError(f"frame too large: {frame.shape[1]}x{frame.shape[0]}")
    if frame.ndim == 2:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    if frame.shape[2] == 4:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR))
    return frame


def _edges(gray: np.ndarray, saturation: np.ndarray) -> np.ndarray:
    edges: np.ndarray = np.zeros(gray.shape, np.uint8)
    for channel in (gray, saturation):
        smooth = cv2.GaussianBlur(channel, (5, 5), 0)
        edges = cv2.bitwise_or(edges, cv2.Canny(smooth, 40, 120))
    return edges


def _quad_from_contour(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for fraction in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, fraction * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            break
    return None


_RING = 7  # half of the 15 x 15 square that grows (ring) and shrinks (core) the quadrilateral


def _brightness_contrast(gray: np.ndarray, quad: np.ndarray) -> float:
    # Only the quadrilateral's bounding box (and the ring around it) matters: work on that window.
    height, width = gray.shape
    left, top = (max(0, int(v) - 2 * _RING - 1) for v in quad.min(axis=0))
    right, bottom = int(quad[:, 0].max()) + 2 * _RING + 2, int(quad[:, 1].max()) + 2 * _RING + 2
    window = gray[top : min(bottom, height), left : min(right, width)]
    inside = np.zeros(window.shape, np.uint8)
    cv2.fillConvexPoly(inside, (quad - np.array([left, top], np.float32)).astype(np.int32), 255)
    square = np.ones((2 * _RING + 1, 2 * _RING + 1), np.uint8)
    ring = cv2.subtract(cv2.dilate(inside, square), inside)
    core = cv2.erode(inside, square)
    if not core.any() or not ring.any():
        return 0.0
    return float(cv2.mean(window, core)[0] - cv2.mean(window, ring)[0])


def _segmentations(gray: np.ndarray, hsv: np.ndarray, edges: np.ndarray) -> list[np.ndarray]:
    """Binary maps whose outer contours may be the page: closed edges, and bright low-saturation regions."""
    whiteness = cv2.subtract(hsv[:, :, 2], hsv[:, :, 1])
    maps = [cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))]
    for channel in (gray, whiteness):
        _, bright = cv2.threshold(
            cv2.GaussianBlur(channel, (7, 7), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU
        )
        # Text and table lines are holes in the bright page: close them, then drop thin bridges.
        bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
        maps.append(cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8)))
    return maps


def _candidates(gray: np.ndarray, hsv: np.ndarray, edges: np.ndarray) -> list[np.ndarray]:
    height, width = edges.shape
    minimum = _MIN_PAGE_FRACTION * height * width
    quads = []
    for binary in _segmentations(gray, hsv, edges):
        contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            hull_area = cv2.contourArea(cv2.convexHull(contour))
            if not minimum <= hull_area <= 0.9 * height * width:
                continue
            quad = _quad_from_contour(contour)
            if quad is None or not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
                continue
            touches_border = (
                quad[:, 0].min() < 2
                or quad[:, 1].min() < 2
                or quad[:, 0].max() > width - 3
                or quad[:, 1].max() > height - 3
            )
            if not touches_border:
                quads.append(quad)
    return quads


def _edge_support(edges_near: np.ndarray, quad: np.ndarray) -> float:
    """The fraction of the quadrilateral's outline that lies on an edge of the frame."""
    height, width = edges_near.shape
    points = []
    for index in range(4):
        start, end = quad[index], quad[(index + 1) % 4]
        steps = max(2, int(np.linalg.norm(end - start) / 3))
        along = np.linspace(0.05, 0.95, steps)[:, None]
        points.append(start + along * (end - start))
    xy = np.concatenate(points).astype(int)  # truncation, as pixel indices
    x, y = xy[:, 0], xy[:, 1]
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    hits = int(np.count_nonzero(edges_near[y[inside], x[inside]]))
    return hits / len(xy) if len(xy) else 0.0


def _score(gray: np.ndarray, edges_near: np.ndarray, quad: np.ndarray) -> float:
    contrast = _brightness_contrast(gray, quad)
    if contrast <= 5:
        return 0.0
    ordered = order_portrait(quad)
    sides = [float(np.linalg.norm(ordered[(i + 1) % 4] - ordered[i])) for i in range(4)]
    if min(sides) < 20:
        return 0.0
    support = _edge_support(edges_near, quad)
    return polygon_area(quad) * support**2 * min(1.0, contrast / 40.0)


def _refine(edges: np.ndarray, quad: np.ndarray, band: float) -> np.ndarray:
    """Corners where robust lines fitted to the edge points along each side meet."""
    ys, xs = np.nonzero(edges)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    lines = []
    for index in range(4):
        start, end = quad[index], quad[(index + 1) % 4]
        direction = end - start
        length = float(np.linalg.norm(direction))
        unit = direction / length
        normal = np.array([-unit[1], unit[0]], np.float32)
        # Only points in the side's bounding box (grown by the band) can be near it: a cheap first cut.
        low, high = np.minimum(start, end) - band, np.maximum(start, end) + band
        boxed = points[
            (points[:, 0] >= low[0])
            & (points[:, 0] <= high[0])
            & (points[:, 1] >= low[1])
            & (points[:, 1] <= high[1])
        ]
        relative = boxed - start
        along = relative @ unit
        across = relative @ normal
        # The middle 80 % of the side: corners are where clutter and rounding do most harm.
        near = (np.abs(across) < band) & (along > 0.1 * length) & (along < 0.9 * length)
        if int(near.sum()) < 10:
            lines.append(np.array([unit[0], unit[1], start[0], start[1]], np.float32))
            continue
        lines.append(cv2.fitLine(boxed[near], cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4))
    corners = []
    for index in range(4):
        corner = intersect_lines(lines[index - 1], lines[index])
        if corner is None or float(np.linalg.norm(corner - quad[index])) > 4 * band:
            corner = quad[index]
        corners.append(corner)
    return np.array(corners, np.float32)


def detect_page(frame: np.ndarray) -> PageCorners:
    """The page's corners in `frame`; PageNotFoundError when there is no page-like quadrilateral."""
    bgr = as_bgr(frame)
    height, width = bgr.shape[:2]
    # An integer reduction factor keeps OpenCV's area averaging on its fast path.
    factor = max(1, math.ceil(max(height, width) / _WORK_SIDE))
    small = (
        cv2.resize(bgr, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
        if factor > 1
        else bgr
    )
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    edges = _edges(gray, hsv[:, :, 1])
    edges_near = cv2.dilate(edges, np.ones((5, 5), np.uint8))
    scored = [(_score(gray, edges_near, quad), quad) for quad in _candidates(gray, hsv, edges)]
    scored = [(score, quad) for score, quad in scored if score > 0]
    if not scored:
        raise PageNotFoundError("no page found in the frame")
    best_score, best = max(scored, key=lambda pair: pair[0])
    ordered = order_portrait(best)
    refined = order_portrait(_refine(edges, ordered, band=max(3.0, 0.01 * max(small.shape[:2]))))
    fraction = best_score / (small.shape[0] * small.shape[1])
    # Pixel centres: pixel i of the reduced frame covers frame pixels i*factor ... (i+1)*factor - 1.
    to_frame = np.array([width / small.shape[1], height / small.shape[0]], np.float32)
    return PageCorners(corners=(refined + 0.5) * to_frame - 0.5, score=fraction)

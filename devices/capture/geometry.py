"""Quadrilateral geometry for page capture: corner order, area, overlap. Pure functions, no I/O."""

from __future__ import annotations

import cv2
import numpy as np


def polygon_area(corners: np.ndarray) -> float:
    return float(abs(cv2.contourArea(np.asarray(corners, np.float32).reshape(-1, 1, 2))))


def polygon_iou(first: np.ndarray, second: np.ndarray) -> float:
    """Intersection over union of two convex polygons (any corner order around the polygon)."""
    a = cv2.convexHull(np.asarray(first, np.float32).reshape(-1, 1, 2))
    b = cv2.convexHull(np.asarray(second, np.float32).reshape(-1, 1, 2))
    inter_area, _ = cv2.intersectConvexConvex(a, b)
    union = polygon_area(a) + polygon_area(b) - inter_area
    return float(inter_area / union) if union > 0 else 0.0


def order_portrait(corners: np.ndarray) -> np.ndarray:
    """The corners as top-left, top-right, bottom-right, bottom-left of a portrait page.

    Clockwise around the centre, starting so that the first side (top) is one of the two short sides;
    of those two, the one nearer the top of the image. Which way up the text runs is decided later.
    """
    points = np.asarray(corners, np.float32).reshape(4, 2)
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    clockwise = points[np.argsort(angles)]  # image y points down, so increasing angle is clockwise
    sides = [float(np.linalg.norm(clockwise[(i + 1) % 4] - clockwise[i])) for i in range(4)]
    start = 0 if sides[0] + sides[2] < sides[1] + sides[3] else 1
    # Of the two short sides, take the one whose midpoint is higher in the image as the top.
    top_mid = (clockwise[start] + clockwise[(start + 1) % 4]) / 2
    bottom_mid = (clockwise[(start + 2) % 4] + clockwise[(start + 3) % 4]) / 2
    if bottom_mid[1] < top_mid[1]:
        start += 2
    return np.roll(clockwise, -start, axis=0)


def intersect_lines(first: np.ndarray, second: np.ndarray) -> np.ndarray | None:
    """Where two lines given as (vx, vy, x0, y0) meet; None when they are (nearly) parallel."""
    vx1, vy1, x1, y1 = (float(v) for v in first)
    vx2, vy2, x2, y2 = (float(v) for v in second)
    denominator = vx1 * vy2 - vy1 * vx2
    if abs(denominator) < 1e-6:
        return None
    t = ((x2 - x1) * vy2 - (y2 - y1) * vx2) / denominator
    return np.array([x1 + t * vx1, y1 + t * vy1], np.float32)

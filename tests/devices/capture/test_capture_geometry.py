"""Quadrilateral geometry: overlap, corner order, line intersection."""

from __future__ import annotations

import numpy as np
import pytest

from devices.capture.geometry import intersect_lines, order_portrait, polygon_area, polygon_iou

SQUARE = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float32)


def test_iou_of_identical_disjoint_and_half_overlapping_squares() -> None:
    assert polygon_iou(SQUARE, SQUARE) == pytest.approx(1.0)
    assert polygon_iou(SQUARE, SQUARE + 20) == 0.0
    # Shifted by half its width: intersection 50, union 150.
    assert polygon_iou(SQUARE, SQUARE + np.array([5, 0])) == pytest.approx(1 / 3)


def test_iou_does_not_depend_on_corner_order() -> None:
    assert polygon_iou(SQUARE, SQUARE[[2, 0, 3, 1]]) == pytest.approx(1.0)


@pytest.mark.parametrize("angle", [0, 30, 89, 90, 135, 180, 250, 300])
def test_order_portrait_puts_a_short_side_on_top(angle: float) -> None:
    half = np.array([[-105, -148.5], [105, -148.5], [105, 148.5], [-105, 148.5]])
    turn = np.deg2rad(angle)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    corners = (half @ rotation.T + [500, 400]).astype(np.float32)
    shuffled = corners[np.random.default_rng(int(angle)).permutation(4)]
    ordered = order_portrait(shuffled)
    top = np.linalg.norm(ordered[1] - ordered[0])
    right = np.linalg.norm(ordered[2] - ordered[1])
    assert top == pytest.approx(210, abs=0.5)
    assert right == pytest.approx(297, abs=0.5)
    # Clockwise in image coordinates (y down): positive signed area by the shoelace formula.
    x, y = ordered[:, 0], ordered[:, 1]
    assert float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0
    assert polygon_area(ordered) == pytest.approx(210 * 297, rel=1e-4)


def test_intersect_lines() -> None:
    horizontal = np.array([1, 0, 0, 5], np.float32)
    vertical = np.array([0, 1, 3, 0], np.float32)
    assert intersect_lines(horizontal, vertical) == pytest.approx(np.array([3, 5]))
    assert intersect_lines(horizontal, horizontal + np.array([0, 0, 0, 1])) is None

"""Codes on curved surfaces: the cylinder model's pieces, and codes that only the flattened view reads."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from devices.barcode import decode
from devices.barcode.dewarp import (
    arc_positions,
    flattened_views,
    locate_code,
    square_radius,
    tilt_degrees,
)
from devices.barcode.engines import zxing
from firmware_sim.capture.codes import qr_picture

TEXT = "https://example.gov.cn/verify?t=SP-001-2026-00012345"


def _wrapped(gray: np.ndarray, *, wrap_degrees: float, centre_shift: float = 0.0) -> np.ndarray:
    """`gray` wrapped round a cylinder (axis vertical) over +-wrap_degrees of its width, seen from the front;
    the middle keeps its scale. Written here, independently of firmware_sim's generator."""
    height, width = gray.shape
    half = width / 2
    radius = half / np.radians(wrap_degrees)
    centre = half + centre_shift
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    label_x = centre + radius * np.arcsin(np.clip((xs - centre) / radius, -1.0, 1.0))
    return np.asarray(
        cv2.remap(
            gray,
            label_x.astype(np.float32),
            ys.astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=255,
        )
    )


def test_square_radius_unrolls_a_seen_span_to_its_true_length() -> None:
    radius, half_angle = 200.0, 0.75
    seen = radius * np.sin(half_angle)
    found = square_radius(-seen, seen, 0.0, 2 * radius * half_angle)
    assert found == pytest.approx(radius, rel=1e-3)
    # Off-centre axis, too.
    low, high = radius * np.sin(-0.3), radius * np.sin(0.9)
    assert square_radius(low, high, 0.0, radius * 1.2) == pytest.approx(radius, rel=1e-3)
    # Already as wide as long: nothing to unroll.
    assert square_radius(-50, 50, 0.0, 100.0) is None


def test_arc_positions_give_the_squeezed_sides_their_width_back() -> None:
    source = arc_positions(400, 200.0, 180.0, (40.0, 360.0))
    steps = np.diff(source)
    middle = steps[len(steps) // 2]
    assert middle == pytest.approx(1.0, abs=0.02)
    near_side = steps[np.searchsorted(source, 340.0)]
    # At 340 the surface is turned asin(140 / 180) = 51 degrees: cos = 0.63 of a pixel per flat pixel.
    assert near_side == pytest.approx(np.cos(np.arcsin(140 / 180)), abs=0.05)
    assert np.all(steps > 0)


@pytest.mark.parametrize("angle", [-7.0, 4.0, 11.0])
def test_tilt_turns_module_edges_upright(angle: float) -> None:
    code = qr_picture(TEXT, box=6)
    height, width = code.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    turned = cv2.warpAffine(code, turn, (width, height), borderValue=255)
    # The angle that turns it back.
    assert tilt_degrees(turned) == pytest.approx(-angle, abs=1.0)


def test_the_code_is_found_among_text_lines() -> None:
    page = np.full((480, 640), 235, np.uint8)
    for row in range(30, 460, 28):
        cv2.putText(page, "Certificate of the service hall 0123456789", (10, row), 0, 0.6, 20, 1)
    code = qr_picture(TEXT, box=4)
    page[200 : 200 + code.shape[0], 380 : 380 + code.shape[1]] = code
    box = locate_code(page)
    assert box is not None
    x0, y0, x1, y1 = box
    assert x0 <= 380 + 16 and y0 <= 200 + 16
    assert x1 >= 380 + code.shape[1] - 16 and y1 >= 200 + code.shape[0] - 16
    assert (x1 - x0) * (y1 - y0) < 0.5 * page.size


@pytest.mark.parametrize("centre_shift", [0.0, 25.0])
def test_a_code_round_a_bottle_is_read_only_when_flattened(centre_shift: float) -> None:
    code = qr_picture(TEXT, box=5, border=6)
    photo = _wrapped(code, wrap_degrees=80, centre_shift=centre_shift)
    assert zxing(photo) == []
    found = decode(photo)
    assert [item.text for item in found] == [TEXT]
    assert found[0].engine.split("/")[-1].startswith(("cylinder", "unbent"))
    # Its corners come back in the photo's coordinates: around the code as it is seen there.
    dark_columns = np.flatnonzero((photo < 128).any(axis=0))
    dark_rows = np.flatnonzero((photo < 128).any(axis=1))
    xs = [x for x, _ in found[0].points]
    ys = [y for _, y in found[0].points]
    tolerance = 0.06 * photo.shape[1]
    assert min(xs) == pytest.approx(dark_columns[0], abs=tolerance)
    assert max(xs) == pytest.approx(dark_columns[-1], abs=tolerance)
    assert min(ys) == pytest.approx(dark_rows[0], abs=tolerance)
    assert max(ys) == pytest.approx(dark_rows[-1], abs=tolerance)


def test_a_flat_code_gets_no_cylinder() -> None:
    code = qr_picture(TEXT, box=5)
    assert [view.name for view in flattened_views(code)] == []


def test_garbage_gives_no_views() -> None:
    rng = np.random.default_rng(5)
    assert list(flattened_views(np.full((200, 200), 128, np.uint8))) == []
    noise = rng.integers(0, 256, (120, 160), dtype=np.uint8)
    for view in flattened_views(noise):
        assert view.gray.dtype == np.uint8 and view.gray.size > 0

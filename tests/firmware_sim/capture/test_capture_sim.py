"""The simulated camera's scenes and harder QR photographs: reproducible, and true to what they claim."""

from __future__ import annotations

import numpy as np
import pytest

from devices.barcode import decode
from devices.capture.geometry import polygon_area
from firmware_sim.capture.codes import qr_picture
from firmware_sim.capture.qr_photos import DEGRADATIONS, photograph
from firmware_sim.capture.scenes import A4_ASPECT, flat_page, scene


def test_a_scene_is_the_same_for_the_same_seed_and_differs_otherwise() -> None:
    first, again, other = scene(7, size=(360, 640)), scene(7, size=(360, 640)), scene(8, size=(360, 640))
    assert np.array_equal(first.image, again.image)
    assert np.array_equal(first.corners, again.corners)
    assert not np.array_equal(first.image, other.image)


@pytest.mark.parametrize("seed", range(50, 56))
def test_the_page_lies_inside_the_frame_with_an_a4_shape(seed: int) -> None:
    truth = scene(seed, size=(540, 960))
    assert truth.image.shape == (540, 960, 3)
    assert truth.image.dtype == np.uint8
    corners = truth.corners
    assert (corners[:, 0] > 0).all() and (corners[:, 0] < 960).all()
    assert (corners[:, 1] > 0).all() and (corners[:, 1] < 540).all()
    sides = [float(np.linalg.norm(corners[(i + 1) % 4] - corners[i])) for i in range(4)]
    # top/bottom are the page's short sides; perspective bends the ratio by a few per cent only.
    ratio = (sides[1] + sides[3]) / (sides[0] + sides[2])
    assert ratio == pytest.approx(A4_ASPECT, rel=0.2)
    assert polygon_area(corners) > 0.1 * 540 * 960
    # The page is brighter than its surroundings at its centre.
    centre_x, centre_y = corners.mean(axis=0).astype(int)
    assert truth.image[centre_y, centre_x].mean() > 120


def test_blank_is_honoured_and_a_blank_page_has_no_ink() -> None:
    assert scene(3, blank=True).blank
    assert not scene(3, blank=False).blank
    assert flat_page(0).min() > 200
    assert flat_page(1).min() < 60


def test_qr_picture_is_a_readable_code() -> None:
    picture = qr_picture("办件查询 https://example.gov.cn/c/123", box=4)
    assert picture.dtype == np.uint8
    assert [item.text for item in decode(picture)] == ["办件查询 https://example.gov.cn/c/123"]


@pytest.mark.parametrize("degradation", sorted(DEGRADATIONS))
def test_photographs_are_reproducible_and_degraded(degradation: str) -> None:
    clean = qr_picture("https://example.gov.cn/ticket/A012", box=6)
    first = photograph(clean, degradation, seed=11)
    assert np.array_equal(first, photograph(clean, degradation, seed=11))
    assert first.dtype == np.uint8 and first.ndim == 2
    assert not np.array_equal(first, clean)
    if degradation == "small":
        assert first.shape[0] < clean.shape[0] * 0.5
    if degradation == "low_contrast":
        # Dark and light modules differ by about 22 % of the grey range (was 100 %).
        step = float(np.median(first[clean > 127])) - float(np.median(first[clean <= 127]))
        assert 40 < step < 70


def test_curved_photograph_foreshortens_the_sides_like_a_cylinder() -> None:
    # Vertical stripes 8 px apart, as wide as a square code: on a cylinder seen from the front the middle
    # keeps its scale and the stripes crowd towards the sides (cos of the angle), never spread.
    period = 8
    stripes = np.where((np.arange(400) // (period // 2)) % 2 == 0, 0, 255).astype(np.uint8)
    clean = np.tile(stripes, (400, 1))
    photo = photograph(clean, "curved", seed=3)
    row = photo[photo.shape[0] // 2].astype(np.float64)
    edges = np.flatnonzero(np.diff((row < 128).astype(int)) != 0)
    gaps = np.diff(edges).astype(np.float64)
    centre = photo.shape[1] / 2
    middle = gaps[np.abs(edges[:-1] - centre) < 0.1 * photo.shape[1]]
    # The stripes reach about sin(60 deg) / (60 deg) of their width each side: the outermost ones.
    outer = np.concatenate([gaps[:6], gaps[-6:]])
    assert np.median(middle) * 2 == pytest.approx(period, rel=0.2)
    assert np.median(outer) < 0.7 * np.median(middle)
    # So the square of stripes looks narrower than tall.
    dark_columns = np.flatnonzero((photo < 128).any(axis=0))
    dark_rows = np.flatnonzero((photo < 128).any(axis=1))
    assert dark_columns[-1] - dark_columns[0] < 0.9 * (dark_rows[-1] - dark_rows[0])

"""The clean-up steps alone: A4 sizes, deskew, lighting removal, blank-page test."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from devices.capture import CaptureError
from devices.capture.clean import a4_pixels, deskew, enhance, is_blank, is_upside_down, skew_angle
from firmware_sim.capture.scenes import flat_page


def test_a4_sizes() -> None:
    assert a4_pixels(200) == (1654, 2339)
    assert a4_pixels(300) == (2480, 3508)
    with pytest.raises(CaptureError, match="dpi"):
        a4_pixels(600)


@pytest.mark.parametrize("angle", [-2.5, -1.0, 1.5, 2.75])
def test_skew_is_measured_and_removed(angle: float) -> None:
    page = flat_page(1)
    height, width = page.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    tilted = cv2.warpAffine(page, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
    measured = skew_angle(cv2.cvtColor(tilted, cv2.COLOR_BGR2GRAY))
    assert measured == pytest.approx(-angle, abs=0.3)
    straightened = cv2.cvtColor(deskew(tilted, measured), cv2.COLOR_BGR2GRAY)
    assert abs(skew_angle(straightened)) <= 0.25


def test_skew_of_a_blank_page_is_zero() -> None:
    assert skew_angle(cv2.cvtColor(flat_page(0), cv2.COLOR_BGR2GRAY)) == 0.0


def test_enhance_removes_a_shadow_and_keeps_the_ink_and_the_red_seal() -> None:
    page = flat_page(2)
    height, width = page.shape[:2]
    light = np.ones((height, width), np.float32)
    light[:, : width // 2] = 0.55  # half the page in shadow
    light = np.asarray(cv2.GaussianBlur(light, (0, 0), 25), np.float32)
    shaded = np.clip(page * light[:, :, None], 0, 255).astype(np.uint8)
    clean = cv2.cvtColor(enhance(shaded), cv2.COLOR_BGR2GRAY)
    paper = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) > 200
    assert np.median(clean[paper]) >= 250
    assert np.percentile(clean[paper], 5) >= 235  # the shadowed half is white too
    ink = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) < 80
    assert np.median(clean[ink]) < 90
    hsv = cv2.cvtColor(enhance(shaded), cv2.COLOR_BGR2HSV)
    assert int((hsv[:, :, 1] > 120).sum()) > 500  # the seal is still red


def test_blank_page_detection() -> None:
    blank = enhance(flat_page(0))
    assert is_blank(blank)
    one_line = blank.copy()
    cv2.putText(one_line, "Received 2026-11-21", (80, 400), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    assert not is_blank(one_line)
    specks = blank.copy()
    rng = np.random.default_rng(1)
    for x, y in rng.integers(100, 500, (30, 2)):
        specks[y, x] = 0  # dust: single dark pixels
    assert is_blank(specks)
    assert not is_blank(enhance(flat_page(3)))


def test_upside_down_is_told_from_the_title() -> None:
    width, height = 1654, 2339
    for variant in (1, 2, 3):
        page = enhance(cv2.resize(flat_page(variant), (width, height)))[:, :, 1]
        assert is_upside_down(page) is False
        assert is_upside_down(cv2.rotate(page, cv2.ROTATE_180)) is True
    # No title, no decision: a blank page, and a page of equal lines.
    assert is_upside_down(enhance(cv2.resize(flat_page(0), (width, height)))[:, :, 1]) is None
    lines = np.full((height, width), 255, np.uint8)
    for y in range(300, 2000, 80):
        cv2.putText(lines, "the same size everywhere", (150, y), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    assert is_upside_down(lines) is None


def test_blank_page_detection_on_a_page_already_at_about_100_dpi() -> None:
    # The capture counts ink on its working page (100-150 dpi) as it is: reduce=1.
    blank = enhance(cv2.resize(flat_page(0), (1654, 2339)))
    one_line = blank.copy()
    cv2.putText(one_line, "Received 2026-11-21", (200, 1000), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (20, 20, 20), 4)

    def halved(page: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.resize(page, (827, 1170), interpolation=cv2.INTER_AREA))

    assert is_blank(blank) and is_blank(halved(blank), reduce=1)
    assert not is_blank(one_line)
    assert not is_blank(halved(one_line), reduce=1)
    specks = halved(blank)
    for x, y in np.random.default_rng(1).integers(100, 700, (30, 2)):
        specks[y, x] = 0
    assert is_blank(specks, reduce=1)

"""Our own QR grid (devices.barcode.grid): its pieces on codes whose geometry the test knows exactly, and
codes wrapped round a cylinder (by the test's own model, not firmware_sim's) that zxing-cpp alone cannot
read and the grid can."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from devices.barcode import decode
from devices.barcode.engines import zxing
from devices.barcode.grid import (
    Finder,
    PerspectiveGrid,
    candidate_sizes,
    decode_grid,
    equalised,
    fitted_grid,
    grid_from_finders,
    grown_sampled,
    render,
    sample_modules,
    thresholded,
    timing_agreement,
)

TEXT = "https://example.gov.cn/verify?t=SP-001-2026-00012345&sig=3f9a1c77e0"
BOX = 5
BORDER = 4


def _matrix(text: str) -> np.ndarray:
    code = qrcode.QRCode(box_size=1, border=0, error_correction=ERROR_CORRECT_M)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    return np.asarray(code.get_matrix(), dtype=bool)


def _picture(dark: np.ndarray, border: int = BORDER) -> np.ndarray:
    modules = np.pad(np.where(dark, 0, 255).astype(np.uint8), border, constant_values=255)
    return np.kron(modules, np.ones((BOX, BOX), np.uint8))


class Cylinder:
    """The code's picture wrapped round a vertical cylinder over +-`wrap` degrees of the picture's width,
    seen from the front, then its rows bowed by `bow` pixels at the middle. Forward and inverse maps."""

    def __init__(self, width: int, height: int, wrap: float, bow: float) -> None:
        self.centre = width / 2
        self.radius = (width / 2) / np.radians(wrap)
        self.width, self.height, self.bow = width, height, bow

    def _bow(self, x: np.ndarray) -> np.ndarray:
        across = (x - self.centre) / self.centre
        return np.asarray(self.bow * (1 - across**2))

    def to_image(self, label_x: np.ndarray, label_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.centre + self.radius * np.sin((label_x - self.centre) / self.radius)
        return x, label_y + self._bow(x)

    def warp(self, picture: np.ndarray, border_mode: int) -> np.ndarray:
        xs, ys = np.meshgrid(
            np.arange(self.width, dtype=np.float64), np.arange(self.height, dtype=np.float64)
        )
        offset = np.clip((xs - self.centre) / self.radius, -1.0, 1.0)
        label_x = self.centre + self.radius * np.arcsin(offset)
        label_y = ys - self._bow(xs)
        return np.asarray(
            cv2.remap(
                picture,
                label_x.astype(np.float32),
                label_y.astype(np.float32),
                cv2.INTER_AREA,
                borderMode=border_mode,
                borderValue=255,
            )
        )


def _wrapped(
    dark: np.ndarray, *, border: int, wrap: float, bow: float, mode: int
) -> tuple[np.ndarray, Cylinder]:
    picture = _picture(dark, border)
    if border == 0:
        # No quiet zone: the label's edge seen beyond the code repeats its outermost modules (streaks).
        picture = cv2.copyMakeBorder(picture, 8 * BOX, 8 * BOX, 8 * BOX, 8 * BOX, cv2.BORDER_REPLICATE)
    height, width = picture.shape
    cylinder = Cylinder(width, height, wrap, bow)
    seen = cylinder.warp(picture, mode)
    noise = np.random.default_rng(7).normal(0, 2.0, seen.shape)
    return np.clip(seen + noise, 0, 255).astype(np.uint8), cylinder


def _true_finders(dark: np.ndarray, cylinder: Cylinder, offset: float) -> tuple[Finder, Finder, Finder]:
    size = dark.shape[0]
    finders = []
    for u, v in ((3.5, 3.5), (size - 3.5, 3.5), (3.5, size - 3.5)):
        here = np.array(cylinder.to_image(np.array((offset + u) * BOX), np.array((offset + v) * BOX)))
        along = np.array(cylinder.to_image(np.array((offset + u + 1) * BOX), np.array((offset + v) * BOX)))
        down = np.array(cylinder.to_image(np.array((offset + u) * BOX), np.array((offset + v + 1) * BOX)))
        finders.append(Finder(here, along - here, down - here, 25.0 * BOX * BOX))
    return finders[0], finders[1], finders[2]


def test_render_and_timing_of_a_clean_matrix() -> None:
    dark = _matrix(TEXT)
    assert timing_agreement(dark) == 1.0
    broken = dark.copy()
    broken[6, 8:-8] = ~broken[6, 8:-8]
    broken[8:-8, 6] = ~broken[8:-8, 6]
    assert timing_agreement(broken) == 0.0
    picture = render(dark)
    assert zxing(picture)[0].text == TEXT


def test_the_equaliser_takes_the_neighbours_share_off_a_blurred_code() -> None:
    dark = _matrix(TEXT)
    # Each module's grey level shares in its neighbours' darkness, as under defocus with modules of about
    # two pixels: a quarter its own, the rest from the 4 next to it, the diagonal ones and those two away.
    kernel = np.array(
        [
            [0.0, 0.0, 0.04, 0.0, 0.0],
            [0.0, 0.05, 0.1, 0.05, 0.0],
            [0.04, 0.1, 0.24, 0.1, 0.04],
            [0.0, 0.05, 0.1, 0.05, 0.0],
            [0.0, 0.0, 0.04, 0.0, 0.0],
        ]
    )
    mixed = cv2.filter2D(dark.astype(np.float64), -1, kernel, borderType=cv2.BORDER_CONSTANT)
    values = 210 - 170 * mixed + np.random.default_rng(5).normal(0, 3.0, dark.shape)
    plain = thresholded(values)
    by_threshold = min(int(np.count_nonzero(next(plain) != dark)), int(np.count_nonzero(next(plain) != dark)))
    solved = equalised(values, values < values.mean())
    assert solved is not None
    by_equaliser = int(np.count_nonzero(solved != dark))
    assert by_threshold > 20
    assert by_equaliser * 5 < by_threshold
    # No contrast, no calibration.
    assert equalised(np.full(dark.shape, 128.0), dark) is None


def test_a_flat_grid_through_exact_finders_is_the_affine_grid() -> None:
    size = 33
    origin, du, dv = np.array([40.0, 30.0]), np.array([6.0, 1.0]), np.array([-1.0, 6.0])

    def at(u: float, v: float) -> np.ndarray:
        return np.asarray(origin + u * du + v * dv)

    finders = (
        Finder(at(3.5, 3.5), du, dv, 0.0),
        Finder(at(size - 3.5, 3.5), du, dv, 0.0),
        Finder(at(3.5, size - 3.5), du, dv, 0.0),
    )
    grid = grid_from_finders(*finders, size)
    for u, v in ((0.5, 0.5), (16.5, 20.5), (32.5, 32.5), (10.0, 30.0)):
        assert grid.point(u, v) == pytest.approx(tuple(at(u, v)), abs=1e-6)
    assert size in candidate_sizes(*finders)


def test_the_grid_follows_a_cylinder_where_a_straight_one_drifts() -> None:
    dark = _matrix(TEXT)
    size = dark.shape[0]
    seen, cylinder = _wrapped(dark, border=BORDER, wrap=70.0, bow=6.0, mode=cv2.BORDER_CONSTANT)
    finders = _true_finders(dark, cylinder, BORDER)
    hermite = grid_from_finders(*finders, size)
    fitted = fitted_grid(hermite, finders, seen)
    assert fitted is not None
    centres = np.arange(size) + 0.5
    us, vs = np.meshgrid(centres, centres)
    true_x, true_y = cylinder.to_image((BORDER + us) * BOX, (BORDER + vs) * BOX)
    errors = []
    for grid in (hermite, fitted):
        xs, ys = grid.points(us, vs)
        errors.append(float(np.max(np.hypot(xs - true_x, ys - true_y))) / BOX)
        # Within half a module everywhere: every module is sampled inside itself.
        assert errors[-1] < 0.5, (type(grid).__name__, errors)
    # A straight grid through the same three finders (the parallelogram a stock decoder starts from)
    # is off by much more than that.
    top_left = finders[0].centre
    across = (finders[1].centre - top_left) / (size - 7)
    down = (finders[2].centre - top_left) / (size - 7)
    straight = top_left + (us - 3.5)[..., None] * across + (vs - 3.5)[..., None] * down
    straight_error = float(np.max(np.hypot(straight[..., 0] - true_x, straight[..., 1] - true_y))) / BOX
    assert straight_error > 0.6
    assert straight_error > 3 * min(errors), (straight_error, errors)
    # Sampled on the fitted grid, the code's modules come back.
    values = sample_modules(fitted, seen)
    assert min(int(np.count_nonzero(matrix != dark)) for matrix in thresholded(values)) < size


@pytest.mark.parametrize(("border", "mode"), [(BORDER, cv2.BORDER_CONSTANT), (0, cv2.BORDER_REPLICATE)])
def test_codes_on_a_cylinder_that_zxing_alone_cannot_read(border: int, mode: int) -> None:
    dark = _matrix(TEXT)
    seen, cylinder = _wrapped(dark, border=border, wrap=80.0, bow=8.0, mode=mode)
    assert zxing(seen) == []
    found = decode_grid(seen)
    assert [item.text for item in found] == [TEXT]
    offset = border + (8 if border == 0 else 0)
    size = dark.shape[0]
    corners = [(0, 0), (size, 0), (size, size), (0, size)]
    for (u, v), point in zip(corners, found[0].points, strict=True):
        x, y = cylinder.to_image(np.array((offset + u) * BOX), np.array((offset + v) * BOX))
        assert point == pytest.approx((float(x), float(y)), abs=1.5 * BOX)
    # And the whole cascade reads it too.
    assert TEXT in {item.text for item in decode(seen)}


def test_grown_sampling_follows_drift_that_the_grid_does_not() -> None:
    dark = _matrix(TEXT)
    size = dark.shape[0]
    picture = _picture(dark).astype(np.float32)
    height, width = picture.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    # The code pushed right and down smoothly, nothing at the finders, 1.3 modules at the bottom-right
    # corner: more than a module, which sharpness alone cannot tell from the next module.
    drift = 1.3 * BOX * ((xs / width) * (ys / height)) ** 1.5
    seen = cv2.remap(picture, xs - drift, ys - drift, cv2.INTER_LINEAR, borderValue=255).astype(np.uint8)
    # The grid of the undisturbed picture: right at the finders, more than a module off at the corner.
    offset = BORDER * BOX
    grid = PerspectiveGrid(size, np.array([[BOX, 0.0, offset], [0.0, BOX, offset], [0.0, 0.0, 1.0]]))
    plain = min(int(np.count_nonzero(matrix != dark)) for matrix in thresholded(sample_modules(grid, seen)))
    matrices = list(thresholded(grown_sampled(grid, seen)))
    grown = min(int(np.count_nonzero(matrix != dark)) for matrix in matrices)
    assert plain > 30 and grown < 3, (plain, grown)
    assert TEXT in {item.text for matrix in matrices for item in zxing(render(matrix))}


def test_no_code_no_result() -> None:
    rng = np.random.default_rng(3)
    assert decode_grid(rng.integers(0, 256, (240, 320), dtype=np.uint8)) == []
    assert decode_grid(np.full((100, 100), 200, np.uint8)) == []
    # Finder-like squares without a code between them.
    page = np.full((300, 300), 255, np.uint8)
    finder = np.kron(_matrix(TEXT)[:7, :7], np.ones((6, 6), bool))
    for row, col in ((20, 20), (20, 220), (220, 20)):
        page[row : row + 42, col : col + 42] = np.where(finder, 0, 255)
    assert decode_grid(page) == []

"""Flattening a code photographed on a curved surface (a label round a bottle, a bent notice).

A code wrapped round a cylinder and seen from the front keeps straight module edges along the axis, but
across it the modules narrow towards the sides (a module at angle phi from the line of sight is cos(phi) as
wide) and the rows bend. Stock decoders sample a straight, evenly spaced grid and lose such codes. Here:

1. **Where the code is**: the densest patch of black/white transitions in both directions (text and
   textures have them mostly in one, flat backgrounds in neither).
2. **Its tilt**: the dominant direction of strong edges, modulo 90 degrees; the crop is turned upright.
3. **The cylinder**: across each axis, the number of transitions per column (or row) is the inverse of the
   local module width; a cylinder makes it grow as 1 / sqrt(1 - ((x - c) / R)^2). Centre `c` and radius
   `R` are fitted by least squares, and the view is resampled evenly in arc length (R * asin), which
   gives the modules back their width. An axis whose profile a cylinder does not explain clearly better
   than a flat one is left alone.
4. **Bent rows**: the code's top and bottom outlines are fitted with parabolas and the columns between
   them stretched straight.

All steps are composed into one map from the flattened view back into the caller's image, so the image is
resampled once, and the decoder's corner points are mapped back exactly. Pure functions on numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

Point = tuple[float, float]

# A fitted cylinder must explain the transition profile this much better than a flat code (residual ratio).
_CYLINDER_GAIN = 0.85
# The flattened view stretches a squeezed module at most this much (and the image with it).
_MAX_STRETCH = 2.5
_MIN_CODE_SIDE = 24
# Codes smaller than this (pixels) are flattened at twice the resolution.
_FINE_BELOW = 240


@dataclass(frozen=True)
class FlatView:
    """A flattened view and, for each of its pixels, where it lies in the caller's image."""

    name: str
    gray: np.ndarray
    map_x: np.ndarray
    map_y: np.ndarray

    def to_source(self, point: Point) -> Point:
        height, width = self.map_x.shape
        column = round(min(max(point[0], 0.0), width - 1.0))
        row = round(min(max(point[1], 0.0), height - 1.0))
        return (float(self.map_x[row, column]), float(self.map_y[row, column]))


def _binary(gray: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    return np.asarray(cv2.adaptiveThreshold(blurred, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 5))


def _density(binary: np.ndarray) -> tuple[np.ndarray, int]:
    """Per pixel, the share of transitions around it in the sparser of the two directions; and the window."""
    height, width = binary.shape
    across = np.zeros(binary.shape, np.float32)
    down = np.zeros(binary.shape, np.float32)
    across[:, 1:] = binary[:, 1:] != binary[:, :-1]
    down[1:, :] = binary[1:, :] != binary[:-1, :]
    window = max(5, min(height, width) // 10) | 1
    return np.minimum(cv2.blur(across, (window, window)), cv2.blur(down, (window, window))), window


def _densest_patch(binary: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The mask of the patch dense in transitions both ways (text and textures have them mostly in one
    direction, flat backgrounds in neither) around the densest point, and the window used."""
    both, window = _density(binary)
    peak = float(both.max())
    if peak <= 0:
        return None
    count, labels = cv2.connectedComponents((both > 0.4 * peak).astype(np.uint8))
    if count < 2:
        return None
    return labels == labels.flat[int(np.argmax(both))], window


def locate_code(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the patch dense in transitions both ways, with a margin; None if there is none."""
    height, width = gray.shape
    found = _densest_patch(_binary(gray))
    if found is None:
        return None
    patch, window = found
    ys, xs = np.nonzero(patch)
    x, y, w, h = int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    if min(w, h) < _MIN_CODE_SIDE:
        return None
    margin = max(w, h) // 5 + window // 2
    return (max(0, x - margin), max(0, y - margin), min(width, x + w + margin), min(height, y + h + margin))


def tilt_degrees(gray: np.ndarray) -> float:
    """The angle in [-45, 45) that turns the strongest edges upright (module edges run two ways, 90 apart)."""
    smooth = cv2.GaussianBlur(gray, (3, 3), 0).astype(np.float32)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    magnitude = np.hypot(gx, gy)
    strong = magnitude > np.percentile(magnitude, 90)
    if not strong.any():
        return 0.0
    angles = np.degrees(np.arctan2(gy[strong], gx[strong])) % 90.0
    histogram, _ = np.histogram(angles, bins=90, range=(0.0, 90.0), weights=magnitude[strong])
    wrapped = np.concatenate([histogram[-2:], histogram, histogram[:2]])
    smoothed = np.convolve(wrapped, np.ones(5) / 5, mode="same")[2:-2]
    angle = float(np.argmax(smoothed)) + 0.5
    return angle if angle < 45 else angle - 90


def _transitions(binary: np.ndarray, axis: int) -> np.ndarray:
    """Transitions per column (axis 1: counted along rows) or per row (axis 0)."""
    changes = np.diff(binary, axis=axis) != 0
    counts = changes.sum(axis=0 if axis == 1 else 1).astype(np.float64)
    return np.append(counts, counts[-1])


def fit_cylinder(profile: np.ndarray) -> tuple[float, float, float] | None:
    """(centre, radius, residual ratio to a flat fit) of the cylinder that best explains `profile`."""
    size = len(profile)
    kernel = max(3, size // 25) | 1
    smooth = cv2.GaussianBlur(profile.reshape(1, -1), (kernel, 1), 0).ravel()
    peak = float(smooth.max())
    if peak <= 0:
        return None
    inside = np.flatnonzero(smooth > 0.35 * peak)
    low, high = int(inside[0]), int(inside[-1])
    extent = high - low
    if extent < _MIN_CODE_SIDE:
        return None
    trim = max(2, extent // 12)
    xs = np.arange(low + trim, high - trim + 1, dtype=np.float64)
    observed = smooth[low + trim : high - trim + 1]
    flat_error = float(((observed - observed.mean()) ** 2).sum())
    if flat_error <= 0:
        return None
    best: tuple[float, float, float] | None = None
    for centre in np.linspace(low - 0.25 * extent, high + 0.25 * extent, 31):
        reach = max(abs(xs[0] - centre), abs(xs[-1] - centre))
        for factor in (1.02, 1.05, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5, 3.0):
            radius = reach * factor
            model = 1.0 / np.sqrt(1.0 - ((xs - centre) / radius) ** 2)
            scale = float(observed @ model) / float(model @ model)
            error = float(((observed - scale * model) ** 2).sum())
            if best is None or error < best[0]:
                best = (error, float(centre), float(radius))
    assert best is not None
    return best[1], best[2], best[0] / flat_error


def arc_positions(size: int, centre: float, radius: float, span: tuple[float, float]) -> np.ndarray:
    """For each column of the flattened axis, the column of the bent one it comes from. Only the code's
    `span` (and a little around it) is unrolled; the rest keeps its scale, which saves decoding time."""
    x = np.arange(size, dtype=np.float64)
    ratio = np.clip((x - centre) / radius, -0.999, 0.999)
    stretch = np.clip(1.0 / np.sqrt(1.0 - ratio**2), 1.0, _MAX_STRETCH)
    margin = 0.05 * (span[1] - span[0])
    stretch[(x < span[0] - margin) | (x > span[1] + margin)] = 1.0
    arc = np.concatenate([[0.0], np.cumsum((stretch[1:] + stretch[:-1]) / 2)])
    return np.interp(np.arange(0.0, np.floor(arc[-1]) + 1), arc, x)


def _robust_parabola(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The parabola through most of the points (leaving out dents where an edge row has white modules)."""
    coefficients = np.polyfit(xs, ys, 2)
    for _ in range(2):
        residual = np.abs(ys - np.polyval(coefficients, xs))
        keep = residual <= 2.5 * float(np.median(residual)) + 1.0
        if keep.sum() < 10:
            break
        coefficients = np.polyfit(xs[keep], ys[keep], 2)
    return np.asarray(coefficients)


@dataclass(frozen=True)
class _Outline:
    """The code's blob in a view: its columns, and its top and bottom per column (fitted parabolas)."""

    left: int
    right: int
    top: np.ndarray
    bottom: np.ndarray

    @property
    def width(self) -> float:
        return float(self.right - self.left)

    @property
    def height(self) -> float:
        inner = slice(self.left, self.right)
        return float(np.median(self.bottom[inner] - self.top[inner]))

    @property
    def bent(self) -> bool:
        """Whether the top or bottom bows by a pixel or more from a straight line."""
        xs = np.arange(self.left, self.right, dtype=np.float64)
        for curve in (self.top, self.bottom):
            values = curve[self.left : self.right]
            straight = np.polyval(np.polyfit(xs, values, 1), xs)
            if np.abs(values - straight).max() >= 1.0:
                return True
        return False


def _outline(gray: np.ndarray) -> _Outline | None:
    """The code's outline in `gray`; None when no clear blob is found or its outline is implausible."""
    height, width = gray.shape
    binary = _binary(gray)
    found = _densest_patch(binary)
    if found is None:
        return None
    patch, window = found
    # Close gaps of a couple of modules: about a run of equal modules in the patch (its height over the
    # transitions down a column).
    patch_rows = np.flatnonzero(patch.any(axis=1))
    patch_columns = np.flatnonzero(patch.any(axis=0))
    changes = _transitions(binary, 1)[patch_columns]
    mean_run = (patch_rows[-1] - patch_rows[0] + 1) / max(float(np.median(changes)), 1.0)
    size = int(np.clip(1.5 * mean_run, 3, min(height, width) // 8))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    # Dark pixels near the code only, so a dark background or a line of text never joins its blob.
    near = cv2.dilate(patch.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (window, window)))
    dark = ((1 - binary) & near).astype(np.uint8)
    blob = cv2.morphologyEx(cv2.morphologyEx(dark, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(blob)
    if count < 2:
        return None
    label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = (int(value) for value in stats[label, :4])
    if w < _MIN_CODE_SIDE or h < _MIN_CODE_SIDE:
        return None
    # The sides: the median over the middle rows, so a speck joined to one row does not widen the code.
    middle = labels[y + h // 5 : y + h - h // 5] == label
    rows_in = middle.any(axis=1)
    if rows_in.sum() < 5:
        return None
    middle = middle[rows_in]
    lefts = np.argmax(middle, axis=1)
    rights = middle.shape[1] - np.argmax(middle[:, ::-1], axis=1)
    x, w = int(np.median(lefts)), int(np.median(rights) - np.median(lefts))
    if w < _MIN_CODE_SIDE:
        return None
    columns = np.arange(x + w // 10, x + w - w // 10)
    filled = labels[:, columns] == label
    present = filled.any(axis=0)
    if present.sum() < 10:
        return None
    columns, filled = columns[present].astype(np.float64), filled[:, present]
    tops = np.argmax(filled, axis=0).astype(np.float64)
    bottoms = (height - 1 - np.argmax(filled[::-1], axis=0)).astype(np.float64)
    everywhere = np.arange(width, dtype=np.float64)
    top = np.polyval(_robust_parabola(columns, tops), everywhere)
    bottom = np.polyval(_robust_parabola(columns, bottoms), everywhere)
    outline = _Outline(x, x + w, top, bottom)
    # A bow of more than a quarter of the code's height is a misfit (another blob, a shadow), not a label.
    inner = slice(x, x + w)
    if outline.height < _MIN_CODE_SIDE or max(np.ptp(top[inner]), np.ptp(bottom[inner])) > 0.25 * h:
        return None
    return outline


def _arc_span(low: float, high: float, centre: float, radius: float) -> float:
    return radius * float(np.arcsin((high - centre) / radius) - np.arcsin((low - centre) / radius))


def square_radius(low: float, high: float, centre: float, length: float) -> float | None:
    """The radius that unrolls [low, high] (seen on a cylinder with its axis at `centre`) to `length`:
    a QR code is square, so its width unrolled must equal its height. None when no cylinder does it."""
    reach = max(abs(high - centre), abs(low - centre)) * 1.0001
    if length <= high - low or _arc_span(low, high, centre, reach) < length:
        return None
    near, far = reach, reach * 100
    for _ in range(40):
        middle = (near + far) / 2
        if _arc_span(low, high, centre, middle) > length:
            near = middle
        else:
            far = middle
    return (near + far) / 2


def _cylinders(outline: _Outline, profile: np.ndarray) -> list[tuple[float, float] | None]:
    """(centre, radius) hypotheses for a cylinder across the view's x, None meaning flat."""
    if outline.width >= 0.97 * outline.height:
        return [None]
    middle = (outline.left + outline.right) / 2
    centres = [middle, middle - 0.15 * outline.width, middle + 0.15 * outline.width]
    fit = fit_cylinder(profile)
    if fit is not None and fit[2] < _CYLINDER_GAIN and abs(fit[0] - centres[0]) > 0.05 * outline.width:
        centres.append(fit[0])
    found: list[tuple[float, float] | None] = []
    for centre in centres:
        radius = square_radius(outline.left, outline.right, centre, outline.height)
        if radius is not None:
            found.append((centre, radius))
    return found or [None]


def flattened_views(gray: np.ndarray, *, limit: int = 6) -> Iterator[FlatView]:
    """Views of the code in `gray` flattened as if it were wrapped round a cylinder (likeliest first),
    made one at a time, so a caller that decodes the first stops paying for the others."""
    box = locate_code(gray)
    if box is None:
        return
    x0, y0, x1, y1 = box
    crop = gray[y0:y1, x0:x1]
    angle = tilt_degrees(crop)
    height, width = crop.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    turned_w, turned_h = int(height * sin + width * cos), int(height * cos + width * sin)
    turn[0, 2] += turned_w / 2 - width / 2
    turn[1, 2] += turned_h / 2 - height / 2
    upright = cv2.warpAffine(crop, turn, (turned_w, turned_h), borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(turn)

    candidates = []
    for axis in (1, 0):
        # Work with the bent axis as x: transposed for a cylinder whose axis lies across.
        work = upright if axis == 1 else np.ascontiguousarray(upright.T)
        outline = _outline(work)
        if outline is None:
            continue
        squeeze = outline.width / outline.height
        for cylinder in _cylinders(outline, _transitions(_binary(work), 1)):
            if cylinder is None and not outline.bent:
                continue
            candidates.append((squeeze, axis, work.shape, outline, cylinder))
    # The narrower the code across an axis, the likelier that axis is bent.
    candidates.sort(key=lambda item: item[0])
    for _, axis, shape, outline, cylinder in candidates[:limit]:
        if cylinder is None:
            source_x = np.arange(shape[1], dtype=np.float64)
        else:
            source_x = arc_positions(shape[1], *cylinder, (outline.left, outline.right))
        rows = np.arange(shape[0], dtype=np.float64)
        first, last = float(np.median(outline.top)), float(np.median(outline.bottom))
        top = np.interp(source_x, np.arange(shape[1]), outline.top)
        bottom = np.interp(source_x, np.arange(shape[1]), outline.bottom)
        share = (rows[:, None] - first) / (last - first)
        map_y = top[None, :] + share * (bottom - top)[None, :]
        map_x = np.broadcast_to(source_x[None, :], map_y.shape)
        if axis == 0:
            map_x, map_y = map_y.T, map_x.T
        # From the upright crop back to the caller's image.
        full_x = (back[0, 0] * map_x + back[0, 1] * map_y + back[0, 2] + x0).astype(np.float32)
        full_y = (back[1, 0] * map_x + back[1, 1] * map_y + back[1, 2] + y0).astype(np.float32)
        # A small code is sampled finer (from the original pixels, so nothing is interpolated twice): its
        # squeezed side modules may be a pixel or two wide.
        if max(outline.width, outline.height) < _FINE_BELOW:
            size = (full_x.shape[1] * 2, full_x.shape[0] * 2)
            full_x = cv2.resize(full_x, size, interpolation=cv2.INTER_LINEAR)
            full_y = cv2.resize(full_y, size, interpolation=cv2.INTER_LINEAR)
        flat = cv2.remap(gray, full_x, full_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        name = ("cylinder" if cylinder else "unbent") + ("-across" if axis == 1 else "-down")
        yield FlatView(name, flat, full_x, full_y)

"""Our own QR grid sampling for codes the stock detectors lose: curved, squeezed, without a quiet zone.

Stock decoders fit one perspective transform to the finder patterns (and one alignment pattern) and sample
a straight grid. On a code wrapped round a cylinder the modules narrow towards the sides and the rows bow,
so that grid drifts off the modules. Here only the geometry is ours; the decoding and error correction stay
stock:

1. **Finder patterns**: contours of a locally thresholded (and, for small pictures, enlarged) image; a
   finder is a dark ring holding a light hole holding a dark stone (quirc's way), found whether or not the
   code has a quiet zone or a clutter of streaks round it. The stone's centroid is the finder's centre,
   the hole's quadrilateral (5 x 5 modules) gives the module vectors there, which on a curved surface
   differ from finder to finder.
2. **Three finders**: the triple with the most nearly right angle and similar sizes; the corner finder is
   the one opposite the longest side, the handedness says which of the others is top-right.
3. **A non-linear grid**: for each candidate version (the number of modules estimated from the finders'
   distance and module sizes, a few versions either way, since a cylinder makes either end's module size
   a poor guide), the module centres are `P(u, v) = H(u) + V(v) - P_topleft`, where `H` is the cubic Hermite
   curve through the top-left and top-right finder centres with their module vectors as tangents, and `V`
   the same down the left side. That separable model is exact for a code bent round a cylinder whose axis
   lies along either side (the columns' positions depend on the column only, the bow on the column only)
   and for any tilt. The alignment pattern, found by correlation near where the model puts it, adds a
   bilinear correction for perspective.
4. **Sampling**: the grey image at each module centre (lightly smoothed), thresholded two ways (between the
   two grey-level clusters, and against the local mean over 7 x 7 modules).
5. **Local correction** (when no grid reads as sampled): on the best-fitting grids, every module centre is
   moved by a shift grown ring by ring outwards from the finder and timing patterns (where the grid is
   pinned): each module starts from its placed neighbours' shift and adds the step, up to 0.3 module,
   that makes its 5 x 5 modules sharpest. It follows drift that no global model explains (a bend laid
   over a perspective: the photo of a code already seen at an angle, then bent) by more than a module,
   and, grown continuously, never slips a whole module.
6. **Decoding**: the sampled bit matrix, with its finder and timing patterns restored, rendered as a clean
   code (4 px per module, a 4-module quiet zone) and read by zxing-cpp as a pure symbol. The corners it
   reports are mapped back through the grid into the caller's image.

Pure functions on numpy arrays; nothing here logs a payload.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
import zxingcpp

from devices.barcode.model import Decoded, Point

_MODULE_PX = 4
_QUIET = 4
_MAX_CANDIDATES = 10
_MAX_TRIPLES = 3
_MAX_VERSIONS = 7
# A grid whose sampled timing patterns agree less than this with the real ones is not read.
_MIN_TIMING = 0.6
# An alignment pattern is taken where the correlation with its 5 x 5 modules reaches this.
_MIN_ALIGNMENT = 0.5
# The best-fitting grids that get the grown local correction when none reads as sampled.
_LOCAL_TRIES = 2

# Centres of the alignment patterns per version (ISO/IEC 18004 table E.1), versions 2 to 40.
_ALIGNMENT_CENTRES: dict[int, tuple[int, ...]] = {
    2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34), 7: (6, 22, 38), 8: (6, 24, 42),
    9: (6, 26, 46), 10: (6, 28, 50), 11: (6, 30, 54), 12: (6, 32, 58), 13: (6, 34, 62),
    14: (6, 26, 46, 66), 15: (6, 26, 48, 70), 16: (6, 26, 50, 74), 17: (6, 30, 54, 78),
    18: (6, 30, 56, 82), 19: (6, 30, 58, 86), 20: (6, 34, 62, 90), 21: (6, 28, 50, 72, 94),
    22: (6, 26, 50, 74, 98), 23: (6, 30, 54, 78, 102), 24: (6, 28, 54, 80, 106),
    25: (6, 32, 58, 84, 110), 26: (6, 30, 58, 86, 114), 27: (6, 34, 62, 90, 118),
    28: (6, 26, 50, 74, 98, 122), 29: (6, 30, 54, 78, 102, 126), 30: (6, 26, 52, 78, 104, 130),
    31: (6, 30, 56, 82, 108, 134), 32: (6, 34, 60, 86, 112, 138), 33: (6, 30, 58, 86, 114, 142),
    34: (6, 34, 62, 90, 118, 146), 35: (6, 30, 54, 78, 102, 126, 150), 36: (6, 24, 50, 76, 102, 128, 154),
    37: (6, 28, 54, 80, 106, 132, 158), 38: (6, 32, 58, 84, 110, 136, 162),
    39: (6, 26, 54, 82, 110, 138, 166), 40: (6, 30, 58, 86, 114, 142, 170),
}  # fmt: skip


@dataclass(frozen=True)
class Finder:
    """A finder pattern: its centre and the module vectors (one module along each side) measured there."""

    centre: np.ndarray
    du: np.ndarray
    dv: np.ndarray
    area: float


@dataclass(frozen=True)
class Grid:
    """Module centres of a code: `point(u, v)` for module coordinates (the code spans [0, size]^2)."""

    size: int
    top_left: np.ndarray
    top: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    left: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    correction: np.ndarray

    def points(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image x and y of the module coordinates `u` (across) and `v` (down), same shapes."""
        span = self.size - 7.0
        along = _hermite(self.top, (u - 3.5) / span)
        down = _hermite(self.left, (v - 3.5) / span)
        bilinear = ((u - 3.5) * (v - 3.5) / (span * span))[..., None] * self.correction
        total = along + down - self.top_left + bilinear
        return total[..., 0], total[..., 1]

    def point(self, u: float, v: float) -> Point:
        x, y = self.points(np.array([u]), np.array([v]))
        return (float(x[0]), float(y[0]))


def _hermite(curve: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], t: np.ndarray) -> np.ndarray:
    start, start_tangent, end, end_tangent = curve
    t = t[..., None]
    t2, t3 = t * t, t * t * t
    return np.asarray(
        (2 * t3 - 3 * t2 + 1) * start
        + (t3 - 2 * t2 + t) * start_tangent
        + (-2 * t3 + 3 * t2) * end
        + (t3 - t2) * end_tangent
    )


def grid_from_finders(top_left: Finder, top_right: Finder, bottom_left: Finder, size: int) -> Grid:
    """The separable Hermite grid through three finders for a code of `size` modules (no correction).

    The holes measure the module vectors' directions and their ratios well, their length less so (a
    threshold moves every edge by the same margin, and the contour runs on the dark pixels round a hole).
    So their lengths are scaled by one factor: the one that makes the less curved side as long as its
    finders' modules say, for this size (on a cylinder the side along the bend is longer than its end
    modules say, the other side is not)."""
    span = size - 7.0
    across = float(np.linalg.norm(top_right.centre - top_left.centre))
    down = float(np.linalg.norm(bottom_left.centre - top_left.centre))
    module_across = (np.linalg.norm(top_left.du) + np.linalg.norm(top_right.du)) / 2
    module_down = (np.linalg.norm(top_left.dv) + np.linalg.norm(bottom_left.dv)) / 2
    scale = min(across / (span * module_across), down / (span * module_down))
    top = (top_left.centre, top_left.du * span * scale, top_right.centre, top_right.du * span * scale)
    left = (top_left.centre, top_left.dv * span * scale, bottom_left.centre, bottom_left.dv * span * scale)
    return Grid(size, top_left.centre, top, left, np.zeros(2))


def _quad_vectors(
    hole: np.ndarray, across: np.ndarray, down: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Module vectors of a finder from its hole's quadrilateral (5 x 5 modules), sides sorted by direction."""
    perimeter = cv2.arcLength(hole, True)
    quad = cv2.approxPolyDP(hole, 0.06 * perimeter, True).reshape(-1, 2).astype(np.float64)
    if len(quad) != 4:
        return None
    along_u, along_v = [], []
    for index in range(4):
        side = quad[(index + 1) % 4] - quad[index]
        if abs(side @ across) >= abs(side @ down):
            along_u.append(side if side @ across > 0 else -side)
        else:
            along_v.append(side if side @ down > 0 else -side)
    if len(along_u) != 2 or len(along_v) != 2:
        return None
    return (along_u[0] + along_u[1]) / 10.0, (along_v[0] + along_v[1]) / 10.0


def _projected_vectors(
    hole: np.ndarray, across: np.ndarray, down: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    points = hole.reshape(-1, 2).astype(np.float64)
    width = float(np.ptp(points @ across))
    height = float(np.ptp(points @ down))
    return across * width / 5.0, down * height / 5.0


@dataclass(frozen=True)
class _Candidate:
    centre: np.ndarray
    hole: np.ndarray
    area: float
    stone_area: float


def finder_candidates(binary_dark: np.ndarray) -> list[_Candidate]:
    """Finder patterns in a binary image (dark = 255): a dark ring round a light hole round a dark stone."""
    contours, hierarchy = cv2.findContours(binary_dark, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return []
    links = hierarchy[0]
    children: dict[int, list[int]] = {}
    for index, link in enumerate(links):
        children.setdefault(int(link[3]), []).append(index)
    areas: dict[int, float] = {}

    def area(index: int) -> float:
        if index not in areas:
            areas[index] = cv2.contourArea(contours[index])
        return areas[index]

    found = []
    for stone_index, link in enumerate(links):
        hole_index = link[3]
        if hole_index < 0 or links[hole_index][3] < 0 or len(contours[stone_index]) < 8:
            continue
        stone, hole = contours[stone_index], contours[hole_index]
        stone_area, hole_area = area(stone_index), area(hole_index)
        if stone_area < 4 or not 1.5 <= hole_area / stone_area <= 6.0:
            continue
        # The hole holds the stone and nothing else of size.
        others = sum(area(index) for index in children.get(hole_index, ()) if index != stone_index)
        if others > 0.25 * stone_area:
            continue
        hull_area = cv2.contourArea(cv2.convexHull(stone))
        if hull_area <= 0 or stone_area / hull_area < 0.75:
            continue
        stone_moments, hole_moments = cv2.moments(stone), cv2.moments(hole)
        if stone_moments["m00"] <= 0 or hole_moments["m00"] <= 0:
            continue
        stone_centre = np.array([stone_moments["m10"], stone_moments["m01"]]) / stone_moments["m00"]
        hole_centre = np.array([hole_moments["m10"], hole_moments["m01"]]) / hole_moments["m00"]
        if np.linalg.norm(stone_centre - hole_centre) > 0.3 * math.sqrt(hole_area):
            continue
        found.append(_Candidate((stone_centre + hole_centre) / 2, hole, hole_area, stone_area))
    return found


def _merged(candidates: list[_Candidate]) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda item: -item.area):
        if all(
            np.linalg.norm(candidate.centre - other.centre) > 0.5 * math.sqrt(other.area) for other in kept
        ):
            kept.append(candidate)
    return kept[:_MAX_CANDIDATES]


def _triples(candidates: list[_Candidate]) -> list[tuple[_Candidate, _Candidate, _Candidate]]:
    """Plausible (top-left, top-right, bottom-left) triples, best first."""
    scored = []
    for triple in itertools.combinations(candidates, 3):
        areas = [item.area for item in triple]
        if max(areas) > 6.0 * min(areas):
            continue
        for corner_index in range(3):
            corner = triple[corner_index]
            first, second = (triple[i] for i in range(3) if i != corner_index)
            leg_a, leg_b = first.centre - corner.centre, second.centre - corner.centre
            length_a, length_b = float(np.linalg.norm(leg_a)), float(np.linalg.norm(leg_b))
            module = math.sqrt(min(areas)) / 5.0
            if min(length_a, length_b) < 8 * module or max(length_a, length_b) > 2.2 * min(
                length_a, length_b
            ):
                continue
            cosine = float(leg_a @ leg_b) / (length_a * length_b)
            if abs(cosine) > 0.45:
                continue
            cross = leg_a[0] * leg_b[1] - leg_a[1] * leg_b[0]
            top_right, bottom_left = (first, second) if cross > 0 else (second, first)
            badness = (
                abs(cosine) + abs(math.log(length_a / length_b)) + 0.2 * math.log(max(areas) / min(areas))
            )
            scored.append((badness, (corner, top_right, bottom_left)))
    scored.sort(key=lambda item: item[0])
    return [triple for _, triple in scored[:_MAX_TRIPLES]]


def _finders(triple: tuple[_Candidate, _Candidate, _Candidate]) -> tuple[Finder, Finder, Finder]:
    top_left, top_right, bottom_left = triple
    across = top_right.centre - top_left.centre
    down = bottom_left.centre - top_left.centre
    across, down = across / np.linalg.norm(across), down / np.linalg.norm(down)
    finders = []
    for candidate in triple:
        du, dv = _quad_vectors(candidate.hole, across, down) or _projected_vectors(
            candidate.hole, across, down
        )
        finders.append(Finder(candidate.centre, du, dv, candidate.area))
    return finders[0], finders[1], finders[2]


def candidate_sizes(top_left: Finder, top_right: Finder, bottom_left: Finder) -> list[int]:
    """Code sizes (modules) worth trying, likeliest first: from each side's length in its finders' modules.

    On a cylinder the modules at the finders are narrower than in the middle, so the side along the
    bend over-counts; the other side is exact. Sizes between and a version either way are tried too."""
    across = float(np.linalg.norm(top_right.centre - top_left.centre))
    down = float(np.linalg.norm(bottom_left.centre - top_left.centre))
    module_across = (np.linalg.norm(top_left.du) + np.linalg.norm(top_right.du)) / 2
    module_down = (np.linalg.norm(top_left.dv) + np.linalg.norm(bottom_left.dv)) / 2
    estimates = [across / module_across + 7, down / module_down + 7]
    versions = [(estimate - 17) / 4 for estimate in estimates]
    low, high = math.floor(min(versions)) - 1, math.ceil(max(versions)) + 1
    middle = float(sum(versions)) / 2

    def distance(version: int) -> float:
        return float(abs(version - middle))

    chosen = sorted(range(max(1, low), min(40, high) + 1), key=distance)
    return [17 + 4 * version for version in chosen[:_MAX_VERSIONS]]


def _bilinear_sample(gray: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.asarray(
        cv2.remap(
            gray,
            xs.astype(np.float32),
            ys.astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    ).astype(np.float64)


_ALIGNMENT = np.array(
    [[1, 1, 1, 1, 1], [1, 0, 0, 0, 1], [1, 0, 1, 0, 1], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]], dtype=np.float64
)


class GridLike(Protocol):
    @property
    def size(self) -> int: ...

    def points(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def point(self, u: float, v: float) -> Point: ...


def _find_alignment(grid: GridLike, gray: np.ndarray, centre_u: float, centre_v: float) -> Point | None:
    """Where an alignment pattern the grid puts at (centre_u, centre_v) really is, by correlation within
    2.5 modules; None when nothing there looks like one."""
    offsets = np.arange(-2.5, 2.51, 0.25)
    steps_u, steps_v = np.meshgrid(offsets, offsets)
    cells = np.arange(-2, 3, dtype=np.float64)
    cell_u, cell_v = np.meshgrid(cells, cells)
    # The grid is smooth over the pattern's few modules: its local affine map is enough there.
    base = np.array(grid.point(centre_u, centre_v))
    du = (np.array(grid.point(centre_u + 1, centre_v)) - np.array(grid.point(centre_u - 1, centre_v))) / 2
    dv = (np.array(grid.point(centre_u, centre_v + 1)) - np.array(grid.point(centre_u, centre_v - 1))) / 2
    us = steps_u[..., None, None] + cell_u
    vs = steps_v[..., None, None] + cell_v
    xs = base[0] + us * du[0] + vs * dv[0]
    ys = base[1] + us * du[1] + vs * dv[1]
    values = _bilinear_sample(gray, xs.reshape(-1, 25), ys.reshape(-1, 25))
    pattern = _ALIGNMENT.ravel() - _ALIGNMENT.mean()
    dark = -(values - values.mean(axis=1, keepdims=True))
    spread = np.linalg.norm(dark, axis=1) * np.linalg.norm(pattern)
    correlation = np.where(spread > 1e-6, dark @ pattern / np.maximum(spread, 1e-6), 0.0)
    best = int(np.argmax(correlation))
    if correlation[best] < _MIN_ALIGNMENT:
        return None
    step_u, step_v = float(steps_u.ravel()[best]), float(steps_v.ravel()[best])
    return (
        float(base[0] + step_u * du[0] + step_v * dv[0]),
        float(base[1] + step_u * du[1] + step_v * dv[1]),
    )


def _refined(grid: Grid, gray: np.ndarray) -> Grid:
    """The grid with a bilinear correction from the bottom-right alignment pattern, when it is found."""
    if grid.size < 25:
        return grid
    centre = grid.size - 6.5
    found = _find_alignment(grid, gray, centre, centre)
    if found is None:
        return grid
    predicted = np.array(grid.point(centre, centre))
    span = grid.size - 7.0
    weight = (centre - 3.5) ** 2 / (span * span)
    return Grid(
        grid.size,
        grid.top_left,
        grid.top,
        grid.left,
        grid.correction + (np.array(found) - predicted) / weight,
    )


@dataclass(frozen=True)
class PolyGrid:
    """Module centres as a polynomial in (u, v) (cubic, with quartic terms along each side when the timing
    patterns pin them), fitted by least squares to the finders, alignment patterns and timing modules."""

    size: int
    terms: tuple[tuple[int, int], ...]
    coefficients: np.ndarray

    def points(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = _basis(
            self.terms, np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64), self.size
        )
        mapped = total @ self.coefficients
        return mapped[..., 0], mapped[..., 1]

    def point(self, u: float, v: float) -> Point:
        x, y = self.points(np.array([u]), np.array([v]))
        return (float(x[0]), float(y[0]))


@dataclass(frozen=True)
class PerspectiveGrid:
    """Module centres under one perspective transform (the stock decoders' model), for flat codes."""

    size: int
    matrix: np.ndarray

    def points(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
        m = self.matrix
        w = m[2, 0] * u + m[2, 1] * v + m[2, 2]
        return (m[0, 0] * u + m[0, 1] * v + m[0, 2]) / w, (m[1, 0] * u + m[1, 1] * v + m[1, 2]) / w

    def point(self, u: float, v: float) -> Point:
        x, y = self.points(np.array([u]), np.array([v]))
        return (float(x[0]), float(y[0]))


def perspective_grid(
    grid: GridLike, finders: tuple[Finder, Finder, Finder], gray: np.ndarray
) -> PerspectiveGrid:
    """The perspective grid through the three finder centres and the bottom-right alignment pattern (where
    `grid` finds it; else where `grid` puts it)."""
    size = grid.size
    corner = size - 6.5
    found = _find_alignment(grid, gray, corner, corner) if size >= 25 else None
    fourth = found if found is not None else grid.point(corner, corner)
    source = np.array([(3.5, 3.5), (size - 3.5, 3.5), (3.5, size - 3.5), (corner, corner)], dtype=np.float32)
    target = np.array([*(finder.centre for finder in finders), fourth], dtype=np.float32)
    return PerspectiveGrid(size, cv2.getPerspectiveTransform(source, target).astype(np.float64))


def _basis(terms: tuple[tuple[int, int], ...], u: np.ndarray, v: np.ndarray, size: int) -> np.ndarray:
    # Normalised to [-1, 1] across the code for a well-conditioned fit.
    nu, nv = 2 * u / size - 1, 2 * v / size - 1
    return np.stack([nu**i * nv**j for i, j in terms], axis=-1)


# Separable cubic terms (a cylinder along either side, bowed rows) and the bilinear one (perspective, to first
# order); the mixed cubic terms, held towards zero unless the code's own patterns pin them.
_SEPARABLE = ((0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (0, 2), (0, 3), (1, 1))
_MIXED = ((2, 1), (1, 2))
_MIXED_RIDGE = 10.0
_EQUALISER_ROUNDS = 12


def _timing_points(grid: GridLike, gray: np.ndarray, across: bool) -> list[tuple[float, float, Point]]:
    """Correspondences along one timing pattern: each module's extreme (dark or light) within half a
    module of where the grid puts it, as (u, v, where it really is)."""
    size = grid.size
    steps = np.arange(6.0, size - 6.0 + 1e-9, 0.1)
    fixed = np.full_like(steps, 6.5)
    us, vs = (steps, fixed) if across else (fixed, steps)
    xs, ys = grid.points(us, vs)
    profile = _bilinear_sample(gray, xs[None, :], ys[None, :])[0]
    profile = np.convolve(np.pad(profile, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    # Ten samples per module from u = 6: the module m's window is samples 10 (m - 6) .. 10 (m - 6) + 10.
    modules = np.arange(8, size - 8)
    windows = (modules[:, None] - 6) * 10 + np.arange(11)[None, :]
    windows = np.minimum(windows, len(profile) - 1)
    local = profile[windows]
    dark = modules % 2 == 0
    best = np.where(dark, np.argmin(local, axis=1), np.argmax(local, axis=1))
    inner = (best > 0) & (best < windows.shape[1] - 1)
    at = steps[windows[np.arange(len(modules)), best]][inner]
    centres = modules[inner] + 0.5
    found_x, found_y = (
        grid.points(at, np.full_like(at, 6.5)) if across else grid.points(np.full_like(at, 6.5), at)
    )
    found = []
    for centre, x, y in zip(centres, found_x, found_y, strict=True):
        where = (float(x), float(y))
        found.append((float(centre), 6.5, where) if across else (6.5, float(centre), where))
    return found


def fitted_grid(grid: GridLike, finders: tuple[Finder, Finder, Finder], gray: np.ndarray) -> PolyGrid | None:
    """A polynomial grid fitted to what the code's own patterns say, starting from `grid`'s guesses."""
    size = grid.size
    anchors: list[tuple[float, float, Point, float]] = []
    for finder, (u, v) in zip(finders, ((3.5, 3.5), (size - 3.5, 3.5), (3.5, size - 3.5)), strict=True):
        centre = finder.centre
        anchors.append((u, v, (float(centre[0]), float(centre[1])), 4.0))
        for sign in (-2.0, 2.0):
            along, down = centre + sign * finder.du, centre + sign * finder.dv
            anchors.append((u + sign, v, (float(along[0]), float(along[1])), 1.0))
            anchors.append((u, v + sign, (float(down[0]), float(down[1])), 1.0))
    current: GridLike = grid
    fitted: PolyGrid | None = None
    for _ in range(2):
        points = list(anchors)
        aligned = 0
        version = (size - 17) // 4
        centres = _ALIGNMENT_CENTRES.get(version, ())
        for cu, cv in itertools.product(centres, centres):
            if (cu < 9 and cv < 9) or (cu < 9 and cv > size - 10) or (cu > size - 10 and cv < 9):
                continue
            where = _find_alignment(current, gray, cu + 0.5, cv + 0.5)
            if where is not None:
                aligned += 1
                points.append((cu + 0.5, cv + 0.5, where, 3.0))
        timing = [*_timing_points(current, gray, True), *_timing_points(current, gray, False)]
        points.extend((u, v, where, 1.0) for u, v, where in timing)
        terms = _SEPARABLE + _MIXED + (((4, 0), (0, 4)) if len(timing) >= 16 else ())
        if len(points) < 2 * len(terms):
            return fitted
        us = np.array([p[0] for p in points])
        vs = np.array([p[1] for p in points])
        targets = np.array([p[2] for p in points])
        weights = np.sqrt(np.array([p[3] for p in points]))[:, None]
        design = _basis(terms, us, vs, size) * weights
        # The mixed terms are held towards zero (ridge) so that without patterns inside the code to pin
        # them they cannot fold its unconstrained corner.
        penalty = np.zeros((len(_MIXED), len(terms)))
        for row, term in enumerate(_MIXED):
            penalty[row, terms.index(term)] = math.sqrt(_MIXED_RIDGE)
        design = np.vstack([design, penalty])
        targets = np.vstack([targets * weights, np.zeros((len(_MIXED), 2))])
        coefficients, *_ = np.linalg.lstsq(design, targets, rcond=None)
        fitted = PolyGrid(size, terms, coefficients)
        current = fitted
    return fitted


def sample_modules(grid: GridLike, gray: np.ndarray) -> np.ndarray:
    """Grey level at every module centre, `size x size`, rows along v."""
    centres = np.arange(grid.size, dtype=np.float64) + 0.5
    us, vs = np.meshgrid(centres, centres)
    xs, ys = grid.points(us, vs)
    return _bilinear_sample(gray, xs, ys)


_GROW_SHIFTS = np.arange(-0.3, 0.31, 0.1)
# Shifts whose sharpness is within this share of the best (of the range between worst and best) count as best.
_GROW_TOLERANCE = 0.05
_LOOKUP_STEP = 0.125
_GROW_PATCH = np.arange(-2.0, 2.01, 1.0)


@dataclass(frozen=True)
class _Lookup:
    """A grid's image positions tabulated every `_LOOKUP_STEP` module (and 3 modules round the code), read
    back by bilinear interpolation: the grown sampling places millions of samples, and evaluating a
    polynomial grid at each costs ten times more; its patches' local affine maps are not exact enough
    on a strongly bent code."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, grid: GridLike) -> _Lookup:
        coords = np.arange(-3.0, grid.size + 3.0 + 1e-9, _LOOKUP_STEP)
        us, vs = np.meshgrid(coords, coords)
        xs, ys = grid.points(us, vs)
        return cls(xs.astype(np.float32), ys.astype(np.float32))

    def points(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image x and y of module coordinates, 2-D arrays of one shape."""
        at_u = ((u + 3.0) / _LOOKUP_STEP).astype(np.float32)
        at_v = ((v + 3.0) / _LOOKUP_STEP).astype(np.float32)
        xs = cv2.remap(self.x, at_u, at_v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        ys = cv2.remap(self.y, at_u, at_v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def grown_sampled(grid: GridLike, gray: np.ndarray) -> np.ndarray:
    """Grey level at every module centre, each centre moved from where the grid puts it by a shift grown
    outwards from the finders and timing patterns (where the grid is pinned): each module starts from its
    placed neighbours' mean shift and adds the step (up to 0.3 module) that makes its 5 x 5 modules stand
    furthest from their mean; at module centres the levels are extreme, near module edges they are mixed.

    Growing in rings keeps the shift continuous, so drift of more than a module, which the sharpness alone
    cannot tell from the next module, is followed step by step."""
    size = grid.size
    known, _ = function_patterns(size)
    placed = known.copy()
    field = np.zeros((size, size, 2))
    rings = cv2.distanceTransform((~placed).astype(np.uint8), cv2.DIST_C, 3)
    steps_u, steps_v = (axis.ravel() for axis in np.meshgrid(_GROW_SHIFTS, _GROW_SHIFTS))
    patch_u, patch_v = (axis.ravel() for axis in np.meshgrid(_GROW_PATCH, _GROW_PATCH))
    kernel = np.ones((3, 3), np.float32)
    lookup = _Lookup.of(grid)
    for ring in range(1, int(rings.max()) + 1):
        rows, cols = np.nonzero(rings == ring)
        if not len(rows):
            continue
        weight = cv2.filter2D(placed.astype(np.float32), -1, kernel, borderType=cv2.BORDER_CONSTANT)
        predicted = (
            np.stack(
                [
                    cv2.filter2D(
                        (field[..., axis] * placed).astype(np.float32),
                        -1,
                        kernel,
                        borderType=cv2.BORDER_CONSTANT,
                    )
                    for axis in (0, 1)
                ],
                axis=-1,
            )
            / np.maximum(weight, 1.0)[..., None]
        )
        start = predicted[rows, cols]
        # (modules, shifts, patch) module coordinates, placed through the lookup.
        us = (
            cols[:, None, None]
            + 0.5
            + start[:, None, None, 0]
            + steps_u[None, :, None]
            + patch_u[None, None, :]
        )
        vs = (
            rows[:, None, None]
            + 0.5
            + start[:, None, None, 1]
            + steps_v[None, :, None]
            + patch_v[None, None, :]
        )
        shape = us.shape
        xs, ys = lookup.points(us.reshape(-1, shape[2]), vs.reshape(-1, shape[2]))
        values = _bilinear_sample(gray, xs, ys).reshape(shape)
        spread = np.abs(values - values.mean(axis=2, keepdims=True)).sum(axis=2)
        # The middle of the sharpest shifts: on a sharp picture a range of shifts keeps every sample inside
        # its module, and its middle is the modules' centre (an argmax would pick the range's first end).
        top, bottom = spread.max(axis=1, keepdims=True), spread.min(axis=1, keepdims=True)
        near = spread >= top - _GROW_TOLERANCE * (top - bottom)
        count = near.sum(axis=1)
        field[rows, cols, 0] = start[:, 0] + (near * steps_u).sum(axis=1) / count
        field[rows, cols, 1] = start[:, 1] + (near * steps_v).sum(axis=1) / count
        placed[rows, cols] = True
    centres = np.arange(size, dtype=np.float64) + 0.5
    us, vs = np.meshgrid(centres, centres)
    xs, ys = grid.points(us + field[..., 0], vs + field[..., 1])
    return _bilinear_sample(gray, xs, ys)


def thresholded(values: np.ndarray) -> Iterator[np.ndarray]:
    """Dark-module matrices from sampled grey levels: between the two clusters, then against the local
    mean."""
    flat = np.sort(values.ravel())
    threshold = float(flat.mean())
    for _ in range(10):
        dark, light = flat[flat < threshold], flat[flat >= threshold]
        if not len(dark) or not len(light):
            break
        threshold = (float(dark.mean()) + float(light.mean())) / 2
    yield values < threshold
    local = cv2.blur(values.astype(np.float32), (7, 7), borderType=cv2.BORDER_REFLECT)
    yield values < local
    equalised_matrix = equalised(values, values < local)
    if equalised_matrix is not None:
        yield equalised_matrix


def function_patterns(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The modules every code of this size has (finders, separators, timing): (known mask, dark)."""
    known = np.zeros((size, size), dtype=bool)
    for row, col in ((0, 0), (0, size - 8), (size - 8, 0)):
        known[row : row + 8, col : col + 8] = True
    known[6, :] = True
    known[:, 6] = True
    return known, _with_function_patterns(np.zeros((size, size), dtype=bool))


# Neighbour rings of a module in a blurred picture: itself, the 4 next to it, the 4 diagonal, the 4 two away.
_RINGS = (
    ((0, 0),),
    ((-1, 0), (1, 0), (0, -1), (0, 1)),
    ((-1, -1), (-1, 1), (1, -1), (1, 1)),
    ((-2, 0), (2, 0), (0, -2), (0, 2)),
)


def _ring_kernels() -> list[np.ndarray]:
    kernels = []
    for ring in _RINGS:
        kernel = np.zeros((5, 5), dtype=np.float32)
        for dy, dx in ring:
            kernel[2 + dy, 2 + dx] = 1.0
        kernels.append(kernel)
    return kernels


_RING_KERNELS = _ring_kernels()


def _ring_sums(dark: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ring, the sum of its dark modules (none outside the code), and whether all of a module's
    ring modules are known."""
    level = dark.astype(np.float32)
    inside = known.astype(np.float32)
    sums = np.stack(
        [cv2.filter2D(level, -1, kernel, borderType=cv2.BORDER_CONSTANT) for kernel in _RING_KERNELS]
    )
    counts = sum(cv2.filter2D(inside, -1, kernel, borderType=cv2.BORDER_CONSTANT) for kernel in _RING_KERNELS)
    return sums.astype(np.float64), np.asarray(counts > 12.5)


def equalised(values: np.ndarray, first_guess: np.ndarray) -> np.ndarray | None:
    """Dark modules of a blurred code, each module's grey level freed of its neighbours' share.

    Modules of two pixels or less under defocus are a mix of their neighbours: grey = a + sum over rings of
    c_ring * (dark modules in the ring). The code's own finder, separator and timing modules, whose
    values every code shares, calibrate a and c by least squares; the data modules (and the timing
    modules, so that they still check the grid) are then solved for darkness in [0, 1] by damped,
    clipped Jacobi rounds (each module's neighbours' share taken off with their current estimate).
    None when the calibration says the picture holds no usable contrast."""
    size = values.shape[0]
    known, known_dark = function_patterns(size)
    sums, complete = _ring_sums(known_dark, known)
    rows = complete & known
    if np.count_nonzero(rows) < 3 * len(_RINGS):
        return None
    design = np.column_stack([np.ones(np.count_nonzero(rows)), *(ring[rows] for ring in sums)])
    coefficients, *_ = np.linalg.lstsq(design, values[rows], rcond=None)
    offset, centre, neighbours = coefficients[0], coefficients[1], coefficients[2:]
    if centre > -1.0:
        return None
    # The timing modules are solved like data (not forced), so that they still tell a wrong grid.
    forced = known.copy()
    forced[6, 8 : size - 8] = False
    forced[8 : size - 8, 6] = False
    # Projected, damped Jacobi rounds on darkness in [0, 1]: plain decision feedback oscillates when the
    # neighbours' share outweighs a module's own.
    level = np.where(forced, known_dark, first_guess).astype(np.float64)
    for _ in range(_EQUALISER_ROUNDS):
        sums, _ = _ring_sums(level, np.ones_like(known))
        share = offset + np.tensordot(neighbours, sums[1:], axes=1)
        own = np.clip((values - share) / centre, 0.0, 1.0)
        level = np.where(forced, known_dark, 0.5 * level + 0.5 * own)
    dark = level > 0.5
    return np.asarray(dark)


def _with_function_patterns(dark: np.ndarray) -> np.ndarray:
    size = dark.shape[0]
    fixed = dark.copy()
    finder = np.ones((7, 7), dtype=bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for row, col in ((0, 0), (0, size - 7), (size - 7, 0)):
        fixed[max(row - 1, 0) : row + 8, max(col - 1, 0) : col + 8] = False
        fixed[row : row + 7, col : col + 7] = finder
    timing = np.arange(8, size - 8) % 2 == 0
    fixed[6, 8 : size - 8] = timing
    fixed[8 : size - 8, 6] = timing
    return fixed


def render(dark: np.ndarray) -> np.ndarray:
    """A clean picture of a module matrix: black on white, `_MODULE_PX` px per module, a quiet zone."""
    picture = np.where(dark, 0, 255).astype(np.uint8)
    picture = np.kron(picture, np.ones((_MODULE_PX, _MODULE_PX), dtype=np.uint8))
    border = _QUIET * _MODULE_PX
    return np.asarray(
        cv2.copyMakeBorder(picture, border, border, border, border, cv2.BORDER_CONSTANT, value=255)
    )


_READ_OPTIONS: dict[str, Any] = {
    "formats": (zxingcpp.BarcodeFormat.QRCode,),
    "try_rotate": False,
    "try_downscale": False,
    "try_invert": False,
    "text_mode": zxingcpp.TextMode.Plain,
    "is_pure": True,
}


def _read(picture: np.ndarray) -> list[zxingcpp.Barcode]:
    # A pure symbol: zxing-cpp reads it without searching, and its error correction says whether the
    # sampled grid was right (an unreadable matrix gives no valid result, never a wrong text).
    found = zxingcpp.read_barcodes(picture, **_READ_OPTIONS)
    return [barcode for barcode in found if barcode.valid and barcode.format == zxingcpp.BarcodeFormat.QRCode]


def _binaries(gray: np.ndarray) -> Iterator[np.ndarray]:
    # Adaptive blocks of 1/16, 1/8 and 1/4 of the picture, then Otsu: the smallest block keeps a finder's
    # hole open when a blurred, dense code's neighbourhood darkens the larger blocks' mean.
    side = max(gray.shape)
    for fraction in (16, 8, 4):
        block = max(11, side // fraction) | 1
        yield np.asarray(
            cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 3)
        )
    _, otsu = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    yield np.asarray(otsu)


def timing_agreement(dark: np.ndarray) -> float:
    """The share of the timing patterns' modules (row and column 6) a sampled matrix has right."""
    size = dark.shape[0]
    expected = np.arange(8, size - 8) % 2 == 0
    return float(np.mean(dark[6, 8 : size - 8] == expected) + np.mean(dark[8 : size - 8, 6] == expected)) / 2


def decode_grid(gray: np.ndarray, *, deadline: float | None = None) -> list[Decoded]:
    """QR codes read by sampling our own grid (see the module docstring); points in `gray`'s coordinates.

    `deadline` (a `time.monotonic()` value) stops the search, with nothing found, once passed."""
    factor = int(min(4, max(1, round(600 / max(gray.shape)))))
    work = (
        gray if factor == 1 else cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    )
    smooth = cv2.GaussianBlur(work, (0, 0), 0.6 * factor)
    sharp = cv2.addWeighted(work, 2.5, cv2.GaussianBlur(work, (0, 0), 2.0 * factor), -1.5, 0)
    candidates: list[_Candidate] = []
    for binary in itertools.chain(_binaries(smooth), _binaries(sharp)):
        candidates.extend(finder_candidates(binary))
    tried: set[tuple[int, ...]] = set()
    for triple in _triples(_merged(candidates)):
        key = tuple(int(value) for item in triple for value in item.centre)
        if key in tried:
            continue
        tried.add(key)
        top_left, top_right, bottom_left = _finders(triple)
        fits: list[tuple[float, GridLike, list[np.ndarray]]] = []
        for size in candidate_sizes(top_left, top_right, bottom_left):
            if deadline is not None and time.monotonic() > deadline:
                return []
            hermite = _refined(grid_from_finders(top_left, top_right, bottom_left, size), smooth)
            finders = (top_left, top_right, bottom_left)
            fitted = fitted_grid(hermite, finders, smooth)
            flat = perspective_grid(hermite, finders, smooth)
            grids: tuple[tuple[GridLike | None, float], ...] = ((fitted, 0.01), (hermite, 0.0), (flat, 0.005))
            for candidate, bonus in grids:
                if candidate is None:
                    continue
                matrices = list(thresholded(sample_modules(candidate, work)))
                agreement = max(timing_agreement(dark) for dark in matrices)
                if agreement >= _MIN_TIMING:
                    fits.append((agreement + bonus, candidate, matrices))
        fits.sort(key=lambda fit: -fit[0])
        for _, grid, matrices in fits:
            for dark in matrices:
                found = _read(render(_with_function_patterns(dark)))
                if found:
                    return [_decoded(barcode, grid, factor) for barcode in found]
        # None read as sampled: the best-fitting grids again, each module centre moved to where the image
        # round it is sharpest, grown out from the finders (drift inside the code that no global model
        # follows: a bend laid over a perspective).
        for _, grid, _matrices in fits[:_LOCAL_TRIES]:
            if deadline is not None and time.monotonic() > deadline:
                return []
            for dark in thresholded(grown_sampled(grid, work)):
                found = _read(render(_with_function_patterns(dark)))
                if found:
                    return [_decoded(barcode, grid, factor) for barcode in found]
    return []


def _decoded(barcode: zxingcpp.Barcode, grid: GridLike, factor: int) -> Decoded:
    position = barcode.position
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    points = []
    for corner in corners:
        u = corner.x / _MODULE_PX - _QUIET
        v = corner.y / _MODULE_PX - _QUIET
        x, y = grid.point(u, v)
        points.append((x / factor, y / factor))
    return Decoded(
        text=barcode.text,
        format=barcode.format.name,
        points=tuple(points),
        engine="grid",
        raw=bytes(barcode.bytes),
    )

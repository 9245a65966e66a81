"""The decoding cascade: a fast path first, harder preprocessing only when it finds nothing.

1. zxing-cpp on the grey image (the fastest and most robust single decoder measured here); this is all a
   camera loop runs on most frames (`thorough=False`). With `thorough` (the default), a picture of 400
   pixels or more a side is read at half size first (a quarter of the pixels to scan: most codes in a
   photo have modules of several pixels), and what that finds is returned; the full size is read only
   when it finds nothing. So a second, much finer code beside one readable at half size is not reported;
   the camera loop's fast frames, which read the full size, would report it;
2. on failure, WeChatQRCode on the image (its detector reads textured codes and codes without a quiet
   zone), on a view at most 640 pixels wide;
3. then preprocessed views — a quiet zone added, a sharpened view (defocus), small images
   enlarged and sharpened, a smoothed view (half-tone prints, moire on phone screens), a contrast-stretched
   view — read by zxing-cpp with its local and its global binarizer; WeChatQRCode and zbar, which fail
   differently, on the views where they earn their time;
4. for small pictures, 3x and 4x enlargements (Lanczos, sharpened);
5. the code flattened as if it were wrapped round a cylinder (devices.barcode.dewarp: a label on a
   bottle, a bent notice), read by zxing-cpp;
6. last, our own grid (devices.barcode.grid): module centres fitted to the code's finder, timing and
   alignment patterns (curved, squeezed, without a quiet zone, blurred to modules of two pixels), the
   sampled modules rendered as a clean code and read by zxing-cpp.

Every found symbol's points are mapped back into the caller's image coordinates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
import zxingcpp

from devices.barcode import engines
from devices.barcode.dewarp import flattened_views
from devices.barcode.engines import Engine
from devices.barcode.grid import decode_grid
from devices.barcode.model import Decoded, InvalidImageError, Point

log = logging.getLogger(__name__)

_MIN_SIDE = 16
_MAX_PIXELS = 40_000_000
_SMALL_SIDE = 480
# Pictures at least this large (either side) are read at half size first (`thorough` only).
_HALF_FIRST_SIDE = 400
_TINY_SIDE = 360
_DEWARP_MAX_SIDE = 800
_WECHAT_MAX_SIDE = 640
_ZBAR_MIN_1D_LENGTH = 4


@dataclass(frozen=True)
class _View:
    """A preprocessed view of the image and how to map its coordinates back: original = view / scale - pad."""

    name: str
    gray: np.ndarray
    scale: float = 1.0
    pad: float = 0.0
    # For a resampled view (a flattened curved code): its own point -> the caller's image.
    mapping: Callable[[Point], Point] | None = None

    def to_original(self, found: Decoded) -> Decoded:
        if self.mapping is not None:
            points = tuple(self.mapping(point) for point in found.points)
        else:
            points = tuple((x / self.scale - self.pad, y / self.scale - self.pad) for x, y in found.points)
        return replace(found, points=points, engine=f"{found.engine}/{self.name}")


def to_gray(image: np.ndarray) -> np.ndarray:
    """A contiguous 2-D uint8 image from grey, BGR or BGRA input; InvalidImageError for anything else."""
    if not isinstance(image, np.ndarray):
        raise InvalidImageError(f"expected a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise InvalidImageError(f"expected a grey, BGR or BGRA image, got shape {image.shape}")
    if min(image.shape[:2]) < _MIN_SIDE:
        raise InvalidImageError(f"image is too small to hold a code: {image.shape[1]}x{image.shape[0]}")
    if image.shape[0] * image.shape[1] > _MAX_PIXELS:
        raise InvalidImageError(f"image is too large: {image.shape[1]}x{image.shape[0]}")
    if image.dtype != np.uint8:
        if image.dtype.kind not in "uif":
            raise InvalidImageError(f"expected an 8-bit image, got dtype {image.dtype}")
        if image.dtype.kind == "f" and not np.isfinite(image).all():
            raise InvalidImageError("image holds NaN or infinite values")
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3:
        channels = image.shape[2]
        if channels == 1:
            image = image[:, :, 0]
        else:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if channels == 4 else cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(image)


def _sharpened(gray: np.ndarray, sigma: float) -> np.ndarray:
    # Unsharp mask: restores module edges that defocus and enlargement soften.
    return cv2.addWeighted(gray, 2.5, cv2.GaussianBlur(gray, (0, 0), sigma), -1.5, 0)


class _Engines:
    """The engines of one `decode` call, restricted to the requested symbologies."""

    def __init__(self, formats: tuple[str, ...] | None) -> None:
        self._names = None if formats is None else frozenset(formats)
        self._zxing_formats = None if formats is None else tuple(_zxing_format(name) for name in formats)
        self.qr = formats is None or "QRCode" in formats
        self.deadline: float | None = None

    def local(self, gray: np.ndarray) -> list[Decoded]:
        return engines.zxing(gray, formats=self._zxing_formats)

    def global_threshold(self, gray: np.ndarray) -> list[Decoded]:
        return engines.zxing(
            gray,
            binarizer=zxingcpp.Binarizer.GlobalHistogram,
            formats=self._zxing_formats,
            engine_name="zxing-global",
        )

    def wechat(self, gray: np.ndarray) -> list[Decoded]:
        return engines.wechat(gray) if self.qr else []

    def grid(self, gray: np.ndarray) -> list[Decoded]:
        return decode_grid(gray, deadline=self.deadline) if self.qr else []

    def zbar(self, gray: np.ndarray) -> list[Decoded]:
        # zbar's 1-D decoders have no minimum length and read one- to three-character "symbols" out of
        # the texture of a 2-D code on sharpened views (a Code128 ">" in a curved QR photo): such reads
        # are dropped, so that they do not end the cascade before the view that reads the real code.
        found = [
            item
            for item in engines.pyzbar_engine(gray)
            if item.format == "QRCode" or len(item.text) >= _ZBAR_MIN_1D_LENGTH
        ]
        return found if self._names is None else [item for item in found if item.format in self._names]


def _zxing_format(name: str) -> zxingcpp.BarcodeFormat:
    symbology = getattr(zxingcpp.BarcodeFormat, name, None)
    if not isinstance(symbology, zxingcpp.BarcodeFormat) or name.startswith(("All", "NONE")):
        raise ValueError(f"unknown barcode format {name!r}")
    return symbology


def _harder_views(gray: np.ndarray, use: _Engines) -> Iterator[tuple[_View, tuple[Engine, ...]]]:
    """Preprocessed views, cheapest and most often useful first, each with the engines worth running on it.

    WeChatQRCode costs up to hundreds of milliseconds on a textured image without a code, so it runs once,
    on a view of bounded size.
    """
    zxing_both: tuple[Engine, ...] = (use.local, use.global_threshold)
    height, width = gray.shape
    if max(height, width) > _WECHAT_MAX_SIDE:
        fit = _WECHAT_MAX_SIDE / max(height, width)
        fitted = cv2.resize(gray, None, fx=fit, fy=fit, interpolation=cv2.INTER_AREA)
        yield _View("fitted", fitted, scale=fit), (use.wechat,)
    else:
        yield _View("grey", gray), (use.wechat,)
    pad = max(8, min(height, width) // 10)
    quiet = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    yield _View("quiet-zone", quiet, pad=pad), zxing_both
    yield _View("sharpened", _sharpened(gray, 2.0)), zxing_both
    if max(height, width) < _SMALL_SIDE:
        enlarged = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        yield _View("enlarged", enlarged, scale=2.0), zxing_both
        yield _View("enlarged-sharpened", _sharpened(enlarged, 3.0), scale=2.0), (*zxing_both, use.zbar)
    else:
        reduced = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        # Its local-binarizer read was the first step (`decode`, half size first).
        yield _View("reduced", reduced, scale=0.5), (use.global_threshold,)
    yield _View("smoothed", cv2.GaussianBlur(gray, (5, 5), 0)), zxing_both
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    yield _View("contrast", clahe.apply(gray)), zxing_both
    yield _View("grey", gray), (use.zbar,)
    if max(height, width) < _SMALL_SIDE:
        # Modules of two pixels or less (far from the camera, defocused): Lanczos to 3x (and 4x for the
        # smallest pictures), sharpened at the enlarged module scale.
        for factor in (3, 4) if max(height, width) < _TINY_SIDE else (3,):
            fine = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_LANCZOS4)
            yield _View(f"enlarged-{factor}x", _sharpened(fine, factor), scale=factor), zxing_both
    if use.qr:
        # Last, as the dearest: a code on a curved surface, flattened (devices.barcode.dewarp), on a view
        # of bounded size (a whole camera frame without a code would cost a second otherwise).
        fit = min(1.0, _DEWARP_MAX_SIDE / max(height, width))
        bounded = gray if fit == 1.0 else cv2.resize(gray, None, fx=fit, fy=fit, interpolation=cv2.INTER_AREA)
        for flat in flattened_views(bounded):
            yield _View(flat.name, flat.gray, mapping=_rescaled(flat.to_source, fit)), zxing_both
        # Then our own grid, fitted to the finder patterns with curved sides (devices.barcode.grid).
        yield _View("grid", bounded, scale=fit), (use.grid,)


def _rescaled(mapping: Callable[[Point], Point], scale: float) -> Callable[[Point], Point]:
    """`mapping` into a view scaled by `scale`, followed back into the unscaled image."""

    def to_original(point: Point) -> Point:
        x, y = mapping(point)
        return (x / scale, y / scale)

    return to_original


def _unique(found: list[Decoded]) -> list[Decoded]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in found:
        key = (item.format, item.text)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def decode(
    image: np.ndarray,
    *,
    thorough: bool = True,
    formats: Sequence[str] | None = None,
    budget_seconds: float | None = None,
) -> list[Decoded]:
    """Every barcode and QR code found in `image` (grey, BGR or BGRA uint8; other numeric types clipped).

    `thorough=False` stops after the fast path (the full size only): for a camera loop that reads many
    frames without a code. `thorough=True` reads a large picture at half size first (module docstring).
    `formats` restricts the symbologies by zxing-cpp name (``("QRCode", "Code128")``); on a frame full of
    text the 2-D and stacked detectors cost ten times the QR detector's time, so a camera that only ever
    sees QR codes should say so. `budget_seconds` stops the cascade (never the fast path) once that much
    time has gone, so a camera loop's frame never stalls on a large frame without a code. Raises
    InvalidImageError for input that is not an image and ValueError
    for an unknown format name.
    """
    use = _Engines(None if formats is None else tuple(formats))
    started = time.monotonic()
    if budget_seconds is not None:
        use.deadline = started + budget_seconds
    gray = to_gray(image)
    if thorough and max(gray.shape) >= _HALF_FIRST_SIDE:
        # A large picture at half size first: a quarter of the pixels to scan, and most codes in a photo
        # have modules of several pixels. What it finds is returned; only when it finds nothing is the
        # full size scanned.
        half = _View("half", cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), scale=0.5)
        found = use.local(half.gray)
        if found:
            return _unique([half.to_original(item) for item in found])
    found = use.local(gray)
    if found or not thorough:
        return _unique(found)
    for view, view_engines in _harder_views(gray, use):
        for engine in view_engines:
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                log.debug("cascade stopped at the %s view: budget of %.3f s spent", view.name, budget_seconds)
                return []
            found = engine(view.gray)
            if found:
                log.debug("found %d symbol(s) in the %s view", len(found), view.name)
                return _unique([view.to_original(item) for item in found])
    return []

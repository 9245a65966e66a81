"""Harder photographs of a code, made reproducibly from a clean one: what a kiosk camera sees.

Each degradation is a function of the image and a seeded random generator, so a data set of "hard"
photographs is fully determined by its source images and the seed. The strengths are fixed here, chosen
to be plausible for a kiosk camera and a phone held to it, never fitted to a decoder:

- `curved`: the code on a bent surface (a bottle label, a crumpled notice): wrapped round a cylinder whose
  visible half turn spans the padded photo (+-75 degrees, so the sides are foreshortened), the rows bent
  by a sagitta of 6 % of the height, plus a small random tilt of up to 8 degrees;
- `small`: the code far from the camera: the whole picture shrunk to 45 % of its size, then a faint lens blur;
- `low_contrast`: a dim phone screen or faded print: the grey levels squeezed into 22 % of the range, under a
  lighting gradient;
- `blur`: out of focus: a Gaussian blur of sigma 1.6 pixels.

Every photograph then gets sensor noise (sigma 2 grey levels) and JPEG compression at quality 80.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Degradation = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def curved(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = gray.shape
    pad = max(height, width) // 8
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    rows, cols = padded.shape
    xs, ys = np.meshgrid(np.arange(cols, dtype=np.float32), np.arange(rows, dtype=np.float32))
    across = (xs - cols / 2) / (cols / 2)
    sagitta = 0.06 * height
    map_y = ys - sagitta * (1 - across**2)
    # A cylinder seen from the front, the padded photo wrapped over +-75 degrees of it: the picture's point
    # `offset` pixels from the middle sees the surface at the angle phi with offset = radius * sin(phi),
    # and the label's own coordinate there is radius * phi. The middle keeps its scale (the same as along
    # the axis); towards the sides the modules narrow as cos(phi) (half as wide at 60 degrees); beyond
    # the cylinder's outline the label's edge (its replicated border) is seen.
    # (Until 2026-11-21 this used sin where asin belongs, which widened the sides and, with it, stretched
    # the whole code 1.36 times across but not along the axis.)
    wrap = np.pi / 2.4
    radius = (cols / 2) / wrap
    offset = np.clip((xs - cols / 2) / radius, -1.0, 1.0)
    map_x = cols / 2 + radius * np.arcsin(offset)
    bent = cv2.remap(
        padded, map_x.astype(np.float32), map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    angle = float(rng.uniform(-8, 8))
    turn = cv2.getRotationMatrix2D((cols / 2, rows / 2), angle, 1.0)
    return cv2.warpAffine(bent, turn, (cols, rows), borderMode=cv2.BORDER_REPLICATE)


def small(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    shrunk = cv2.resize(gray, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.GaussianBlur(shrunk, (0, 0), 0.5))


def low_contrast(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = gray.shape
    base = float(rng.uniform(90, 130))
    squeezed = base + gray.astype(np.float32) * (0.22 * 255 / 255)
    direction = float(rng.uniform(0, 2 * np.pi))
    xs, ys = np.meshgrid(np.linspace(-1, 1, width), np.linspace(-1, 1, height))
    lighting = 18 * (np.cos(direction) * xs + np.sin(direction) * ys)
    return np.asarray(np.clip(squeezed + lighting, 0, 255), dtype=np.uint8)


def blur(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return cv2.GaussianBlur(gray, (0, 0), 1.6)


DEGRADATIONS: dict[str, Degradation] = {
    "curved": curved,
    "small": small,
    "low_contrast": low_contrast,
    "blur": blur,
}


def photograph(gray: np.ndarray, degradation: str, seed: int) -> np.ndarray:
    """`gray` as the camera would see it after `degradation`, with sensor noise and JPEG compression."""
    rng = np.random.default_rng(seed)
    degraded = DEGRADATIONS[degradation](gray, rng).astype(np.float32)
    noisy = np.clip(degraded + rng.normal(0, 2.0, degraded.shape), 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return np.asarray(decoded)

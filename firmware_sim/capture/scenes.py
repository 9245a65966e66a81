"""Desk scenes as a document camera (高拍仪) sees them, with the page's four corners known exactly.

A scene is a page of a government form (Chinese text, a table, a red seal; or a blank sheet) laid on a desk
(wood, a mat, a light laminate; pens, a phone, a cup, books around it), seen in perspective, turned by any
angle, under a shadow and uneven light, with sensor noise and JPEG compression. Everything is drawn from a
seeded generator, so scene `n` of a seed is the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hall.fonts import cjk_font_path

A4_ASPECT = 297 / 210
_PAGE_WIDTH = 620  # the flat page is drawn at 620 x 877 pixels (75 dpi) before it is placed

_LINES = (
    "行政许可申请书",
    "申请人：某某有限公司　统一社会信用代码：9133010MA2XXXXXX",
    "申请事项：食品经营许可（新办）　受理编号：ZJ-2026-000123",
    "根据《中华人民共和国行政许可法》第三十二条，申请材料齐全、",
    "符合法定形式，本机关决定予以受理，并于二十个工作日内作出决定。",
    "如对本决定不服，可在收到本通知书之日起六十日内申请行政复议，",
    "或者在六个月内依法提起行政诉讼。",
    "经办人：　　　　　　联系电话：0571-8XXXXXXX",
)


@dataclass(frozen=True)
class Scene:
    image: np.ndarray  # BGR uint8
    corners: np.ndarray  # 4 x 2 float32: the page's top-left, top-right, bottom-right, bottom-left
    blank: bool


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


@cache
def flat_page(variant: int) -> np.ndarray:
    """A flat BGR page: variant 0 is blank, the others are forms with text, a table and a seal."""
    height = round(_PAGE_WIDTH * A4_ASPECT)
    paper = Image.new("RGB", (_PAGE_WIDTH, height), (246, 245, 240))
    if variant == 0:
        return cv2.cvtColor(np.asarray(paper), cv2.COLOR_RGB2BGR)
    draw = ImageDraw.Draw(paper)
    draw.text((_PAGE_WIDTH // 2, 70), _LINES[0], font=_font(34), fill=(20, 20, 20), anchor="mm")
    y = 130
    for index, line in enumerate(_LINES[1:]):
        draw.text((50, y), line, font=_font(17), fill=(30, 30, 30))
        y += 34 if index % 3 != 2 else 52
    table_top = y + 20
    for row in range(6):
        draw.line(
            (50, table_top + row * 36, _PAGE_WIDTH - 50, table_top + row * 36), fill=(40, 40, 40), width=2
        )
    for column in (50, 200, 400, _PAGE_WIDTH - 50):
        draw.line((column, table_top, column, table_top + 180), fill=(40, 40, 40), width=2)
    for row in range(5):
        draw.text((60, table_top + 8 + row * 36), f"材料{row + 1}", font=_font(16), fill=(30, 30, 30))
    seal_x, seal_y = _PAGE_WIDTH - 170 - variant * 7, height - 190
    draw.ellipse((seal_x - 70, seal_y - 70, seal_x + 70, seal_y + 70), outline=(200, 30, 30), width=5)
    draw.text((seal_x, seal_y), "★", font=_font(40), fill=(200, 30, 30), anchor="mm")
    draw.text((60, height - 120), "二〇二六年十一月二十一日", font=_font(17), fill=(30, 30, 30))
    return cv2.cvtColor(np.asarray(paper), cv2.COLOR_RGB2BGR)


def _desk(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    kind = int(rng.integers(0, 3))
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    if kind == 0:  # wood: brown with grain
        base = np.array([40, 80, 130], np.float32) * float(rng.uniform(0.7, 1.2))
        grain = 18 * np.sin(ys / float(rng.uniform(6, 14)) + 3 * np.sin(xs / 90.0))
        desk = base[None, None, :] + grain[:, :, None]
    elif kind == 1:  # a dark green cutting mat with a grid
        desk = np.empty((height, width, 3), np.float32)
        desk[:] = np.array([60, 90, 40], np.float32) * float(rng.uniform(0.7, 1.2))
        desk[(ys.astype(int) % 60) < 2] += 45
        desk[(xs.astype(int) % 60) < 2] += 45
    else:  # a light grey laminate: the hardest contrast with white paper
        desk = np.empty((height, width, 3), np.float32)
        desk[:] = float(rng.uniform(135, 175))
        speckle = rng.normal(0, 6, (height // 2, width // 2)).astype(np.float32)
        desk += cv2.resize(speckle, (width, height), interpolation=cv2.INTER_NEAREST)[:, :, None]
    return np.asarray(np.clip(desk, 0, 255), np.uint8)


def _clutter(rng: np.random.Generator, image: np.ndarray, *, pens_only: bool = False) -> None:
    height, width = image.shape[:2]
    for _ in range(int(rng.integers(1, 3)) if pens_only else int(rng.integers(2, 7))):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        shape = 2 if pens_only else int(rng.integers(0, 3))
        if shape == 0:  # a book or a phone
            box = (
                (x, y),
                (float(rng.uniform(80, 400)), float(rng.uniform(60, 300))),
                float(rng.uniform(0, 180)),
            )
            cv2.fillPoly(image, [cv2.boxPoints(box).astype(np.int32)], colour)
        elif shape == 1:  # a cup seen from above
            cv2.circle(image, (x, y), int(rng.integers(40, 90)), colour, -1)
            cv2.circle(image, (x, y), int(rng.integers(20, 38)), (30, 30, 30), -1)
        else:  # a pen
            angle = float(rng.uniform(0, np.pi))
            length = float(rng.uniform(120, 260))
            end = (int(x + length * np.cos(angle)), int(y + length * np.sin(angle)))
            cv2.line(image, (x, y), end, colour, int(rng.integers(6, 14)))


def _page_corners(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Corners of a turned, foreshortened page that lies wholly inside the frame."""
    while True:
        page_height = float(rng.uniform(0.55, 0.92)) * height
        page_width = page_height / A4_ASPECT
        if rng.random() < 0.25:
            angle = float(rng.choice([90.0, 180.0, 270.0])) + float(rng.uniform(-10, 10))
        else:
            angle = float(rng.uniform(-35, 35))
        centre = np.array([rng.uniform(0.3, 0.7) * width, rng.uniform(0.35, 0.65) * height])
        half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * [page_width / 2, page_height / 2]
        # Perspective: each corner moves by up to 7 % of the page's width.
        half += rng.uniform(-0.07, 0.07, (4, 2)) * page_width
        turn = np.deg2rad(angle)
        rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        corners = half @ rotation.T + centre
        margin = 12
        inside = (
            corners[:, 0].min() > margin
            and corners[:, 0].max() < width - margin
            and corners[:, 1].min() > margin
            and corners[:, 1].max() < height - margin
        )
        if inside:
            return np.asarray(corners, np.float32)


def _shadow_and_light(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    # The light is smooth: drawn at an eighth of the size, then enlarged.
    small_h, small_w = height // 8, width // 8
    light = np.ones((small_h, small_w), np.float32)
    if rng.random() < 0.7:  # the shadow of a hand or the camera arm
        points = rng.uniform([0, 0], [small_w, small_h], (5, 2)).astype(np.int32)
        cv2.fillPoly(light, [cv2.convexHull(points)], float(rng.uniform(0.55, 0.85)))
        light = cv2.GaussianBlur(light, (0, 0), 5)
    light = cv2.resize(light, (width, height), interpolation=cv2.INTER_LINEAR)
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    direction = float(rng.uniform(0, 2 * np.pi))
    light *= 1.0 + 0.15 * (np.cos(direction) * xs + np.sin(direction) * ys)
    lit = image.astype(np.float32) * light[:, :, None]
    noise = rng.normal(0, 3, (height // 2, width // 2, 1)).astype(np.float32)
    lit += cv2.resize(noise, (width, height), interpolation=cv2.INTER_NEAREST)[:, :, None]
    return np.asarray(np.clip(lit, 0, 255), np.uint8)


def empty_desk(seed: int, *, size: tuple[int, int] = (1080, 1920)) -> np.ndarray:
    """The desk of scene `seed` with nothing laid on it (its clutter, shadow and light, no page)."""
    rng = np.random.default_rng(seed)
    height, width = size
    image = _desk(rng, height, width)
    _clutter(rng, image)
    return _jpeg(_shadow_and_light(rng, image))


def _jpeg(image: np.ndarray) -> np.ndarray:
    """The image as the camera hands it over: through JPEG compression."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR))


def scene(seed: int, *, size: tuple[int, int] = (1080, 1920), blank: bool | None = None) -> Scene:
    """Scene number `seed`: 1080p by default; a blank sheet one time in six unless `blank` says."""
    rng = np.random.default_rng(seed)
    height, width = size
    is_blank = bool(rng.random() < 1 / 6) if blank is None else blank
    image = _desk(rng, height, width)
    _clutter(rng, image)
    page = flat_page(0 if is_blank else 1 + int(rng.integers(0, 4)))
    corners = _page_corners(rng, height, width)
    page_h, page_w = page.shape[:2]
    flat = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float32)
    homography = cv2.getPerspectiveTransform(flat, corners)
    warped = cv2.warpPerspective(page, homography, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((page_h, page_w), 255, np.uint8), homography, (width, height))
    image[mask > 127] = warped[mask > 127]
    if rng.random() < 0.3 and not is_blank:  # a pen lying across the page (a blank sheet stays blank)
        _clutter(np.random.default_rng(seed + 1_000_003), image, pens_only=True)
    return Scene(image=_jpeg(_shadow_and_light(rng, image)), corners=corners, blank=is_blank)

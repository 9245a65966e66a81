"""Thin adapters over the stock decoders, each `gray uint8 image -> list[Decoded]`.

They are used alone by the benchmark (as the stock baselines) and together by the pipeline. Library quirks
are handled here: OpenCV's Python bindings raise UnicodeDecodeError for payloads that are not UTF-8, and
zbar reports its polygon in its own point order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from devices.barcode.model import Decoded, Point

log = logging.getLogger(__name__)

Engine = Callable[[np.ndarray], list[Decoded]]

_ZBAR_FORMAT_NAMES = {"QRCODE": "QRCode", "CODE128": "Code128", "EAN13": "EAN13", "PDF417": "PDF417"}


def _zxing_points(barcode: Any) -> tuple[Point, ...]:
    position = barcode.position
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return tuple((float(corner.x), float(corner.y)) for corner in corners)


def zxing(
    gray: np.ndarray,
    *,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
    formats: tuple[zxingcpp.BarcodeFormat, ...] | None = None,
    engine_name: str = "zxing",
) -> list[Decoded]:
    options: dict[str, Any] = {"binarizer": binarizer, "text_mode": zxingcpp.TextMode.Plain}
    if formats is not None:
        options["formats"] = formats
    return [
        Decoded(
            text=barcode.text,
            format=barcode.format.name,
            points=_zxing_points(barcode),
            engine=engine_name,
            raw=bytes(barcode.bytes),
        )
        for barcode in zxingcpp.read_barcodes(gray, **options)
    ]


def pyzbar_engine(gray: np.ndarray) -> list[Decoded]:
    found = []
    for symbol in pyzbar.decode(gray):
        try:
            text = symbol.data.decode("utf-8")
        except UnicodeDecodeError:
            text = symbol.data.decode("latin-1")
        found.append(
            Decoded(
                text=text,
                format=_ZBAR_FORMAT_NAMES.get(symbol.type, symbol.type),
                points=tuple((float(point.x), float(point.y)) for point in symbol.polygon),
                engine="pyzbar",
                raw=symbol.data,
            )
        )
    return found


@cache
def _wechat_detector() -> Any:
    # Without its CNN model files WeChatQRCode falls back to its traditional detector, which still
    # finds codes the others miss (textured "art" codes, missing quiet zones).
    return cv2.wechat_qrcode_WeChatQRCode()  # type: ignore[attr-defined]


def wechat(gray: np.ndarray) -> list[Decoded]:
    try:
        texts, corners = _wechat_detector().detectAndDecode(gray)
    except (UnicodeDecodeError, cv2.error) as err:
        log.debug("WeChatQRCode could not decode: %s", type(err).__name__)
        return []
    return [
        Decoded(
            text=text,
            format="QRCode",
            points=tuple((float(x), float(y)) for x, y in np.asarray(quad).reshape(-1, 2)),
            engine="wechat",
        )
        for text, quad in zip(texts, corners, strict=False)
        if text
    ]


def opencv_qr(gray: np.ndarray) -> list[Decoded]:
    detector = cv2.QRCodeDetector()
    try:
        text, corners, _ = detector.detectAndDecode(gray)
    except (UnicodeDecodeError, cv2.error) as err:
        log.debug("OpenCV QRCodeDetector could not decode: %s", type(err).__name__)
        return []
    if not text or corners is None:
        return []
    points = tuple((float(x), float(y)) for x, y in np.asarray(corners).reshape(-1, 2))
    return [Decoded(text=text, format="QRCode", points=points, engine="opencv")]


STOCK_ENGINES: dict[str, Engine] = {
    "pyzbar": pyzbar_engine,
    "zxing-cpp": zxing,
    "opencv QRCodeDetector": opencv_qr,
    "WeChatQRCode": wechat,
}

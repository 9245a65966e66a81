"""Multi-page PDF of captured pages, each page's image kept within a size budget.

Each page is JPEG-encoded (grey when it has no colour worth keeping, so seals stay red and plain text pages
stay small) at the highest quality that fits the budget, found by bisection; if even the lowest acceptable
quality does not fit, the page is reduced in resolution step by step, never below 100 dpi. The JPEG bytes
are embedded as they are (DCTDecode, no ASCII85 wrapping), so the budget holds in the file: the PDF is
written here directly, which is a few dozen lines for image-only pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from devices.capture.errors import CaptureError, PageBudgetError

log = logging.getLogger(__name__)

DEFAULT_PAGE_BUDGET = 300_000
_MIN_QUALITY, _MAX_QUALITY = 35, 90
_MIN_DPI = 100


@dataclass(frozen=True)
class EncodedPage:
    jpeg: bytes
    quality: int
    dpi: int
    colour: bool


def has_colour(page: np.ndarray, *, min_fraction: float = 0.002) -> bool:
    """True when a visible part of the page is coloured (a red seal, a coloured stamp or photo)."""
    if page.ndim != 3:
        return False
    saturation = cv2.cvtColor(page, cv2.COLOR_BGR2HSV)[:, :, 1]
    return float((saturation > 80).mean()) >= min_fraction


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise CaptureError("JPEG encoding failed")
    return bytes(encoded)


def encode_page(page: np.ndarray, dpi: int, budget: int = DEFAULT_PAGE_BUDGET) -> EncodedPage:
    """The page as a JPEG of at most `budget` bytes, at the best quality and resolution that fit."""
    if budget < 10_000:
        raise PageBudgetError(f"a page budget of {budget} bytes is too small for a legible page")
    colour = has_colour(page)
    image = page if colour or page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    current_dpi = dpi
    while current_dpi >= _MIN_DPI:
        smallest = _jpeg(image, _MIN_QUALITY)
        if len(smallest) <= budget:
            low, high, best = _MIN_QUALITY, _MAX_QUALITY, (smallest, _MIN_QUALITY)
            while low < high:
                middle = (low + high + 1) // 2
                candidate = _jpeg(image, middle)
                if len(candidate) <= budget:
                    low, best = middle, (candidate, middle)
                else:
                    high = middle - 1
            return EncodedPage(jpeg=best[0], quality=best[1], dpi=current_dpi, colour=colour)
        current_dpi = int(current_dpi * 0.8)
        factor = current_dpi / dpi
        source = page if colour or page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
        image = cv2.resize(source, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    raise PageBudgetError(f"the page does not fit in {budget} bytes even at {_MIN_DPI} dpi")


_A4_POINTS = (595.2756, 841.8898)


def pdf_bytes(pages: list[EncodedPage]) -> bytes:
    """An A4 PDF with each JPEG filling one page."""
    objects: list[bytes] = []
    page_ids = [3 + 3 * index for index in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % page_id for page_id in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)))
    width, height = _A4_POINTS
    for page, page_id in zip(pages, page_ids, strict=True):
        decoded = cv2.imdecode(np.frombuffer(page.jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
        if decoded is None:
            raise CaptureError("a page's JPEG cannot be read back")
        pixel_height, pixel_width = decoded.shape[:2]
        content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (width, height)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f]"
            b" /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (width, height, page_id + 2, page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        space = b"/DeviceRGB" if page.colour else b"/DeviceGray"
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8"
            b" /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (pixel_width, pixel_height, space, len(page.jpeg), page.jpeg)
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_pdf(
    pages: list[np.ndarray], target: Path, *, dpi: int, budget: int = DEFAULT_PAGE_BUDGET
) -> list[EncodedPage]:
    """An A4 PDF with one captured page per sheet; returns how each page was encoded."""
    if not pages:
        raise CaptureError("no pages to write")
    encoded = [encode_page(page, dpi, budget) for page in pages]
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(pdf_bytes(encoded))
    partial.replace(target)  # never a half-written PDF under the real name
    log.info("wrote a %d-page PDF of %d bytes", len(encoded), target.stat().st_size)
    return encoded

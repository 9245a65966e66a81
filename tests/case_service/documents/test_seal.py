"""The unified seal, rasterised as the applicant sees it: red, round, with its text on it."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pypdf
from PIL import Image
from reportlab.lib.units import mm

from case_service.documents.seal import SealSpec, draw_seal, star_points
from case_service.documents.typeset import PAGE_HEIGHT, PAGE_WIDTH, PageWriter


def _seal_pdf() -> bytes:
    writer = PageWriter("seal")
    draw_seal(
        writer.canvas,
        PAGE_WIDTH / 2,
        PAGE_HEIGHT / 2,
        SealSpec("成都市新都区行政审批局", code="5101140012345"),
    )
    return writer.finish()


def test_seal_is_a_red_ring_of_42_mm_and_round(tmp_path: Path) -> None:
    pdf_path = tmp_path / "seal.pdf"
    pdf_path.write_bytes(_seal_pdf())
    dpi = 150
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf_path), str(tmp_path / "seal")], check=True
    )
    pixels = np.asarray(Image.open(tmp_path / "seal.png").convert("RGB")).astype(int)

    red = (pixels[:, :, 0] > 150) & (pixels[:, :, 1] < 110) & (pixels[:, :, 2] < 110)
    rows, cols = np.nonzero(red)
    assert rows.size > 1000, "no red seal found"
    height = rows.max() - rows.min() + 1
    width = cols.max() - cols.min() + 1
    expected = 42 / 25.4 * dpi
    assert abs(width - expected) / expected < 0.04
    assert abs(height - expected) / expected < 0.04
    # Round: the outermost red pixel in every direction is the same distance from the centre.
    centre_row, centre_col = (rows.max() + rows.min()) / 2, (cols.max() + cols.min()) / 2
    distances = np.hypot(rows - centre_row, cols - centre_col)
    angles = np.arctan2(rows - centre_row, cols - centre_col)
    rims = [
        distances[(angles >= low) & (angles < low + 0.2)].max() for low in np.arange(-np.pi, np.pi - 0.2, 0.2)
    ]
    assert max(rims) - min(rims) < 0.03 * expected


def test_seal_text_is_real_text_in_the_pdf() -> None:
    text = pypdf.PdfReader(io.BytesIO(_seal_pdf())).pages[0].extract_text()

    assert "行政审批专用章" in text.replace(" ", "")
    for character in "成都市新都区行政审批局":
        assert character in text


def test_star_has_five_points_straight_up_first() -> None:
    corners = star_points(0.0, 0.0, 10 * mm)

    assert len(corners) == 10
    assert corners[0][0] == 0.0 or abs(corners[0][0]) < 1e-9
    assert abs(corners[0][1] - 10 * mm) < 1e-9
    outer = [np.hypot(x, y) for x, y in corners[::2]]
    inner = [np.hypot(x, y) for x, y in corners[1::2]]
    assert max(outer) - min(outer) < 1e-9
    assert max(inner) < min(outer) * 0.5

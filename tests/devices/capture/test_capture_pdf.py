"""Multi-page PDFs with a size budget per page, read back by pypdf and rendered by poppler."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pypdf import PdfReader

from devices.capture import CaptureError, PageBudgetError, write_pdf
from devices.capture.clean import a4_pixels, enhance
from devices.capture.pdf import encode_page
from firmware_sim.capture.scenes import flat_page


def a4_page(variant: int) -> np.ndarray:
    width, height = a4_pixels(200)
    return enhance(cv2.resize(flat_page(variant), (width, height), interpolation=cv2.INTER_CUBIC))


def test_each_page_fits_its_budget_and_colour_is_kept_only_where_needed(tmp_path: Path) -> None:
    coloured = a4_page(1)
    grey_text = cv2.cvtColor(cv2.cvtColor(a4_page(2), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    target = tmp_path / "材料.pdf"
    budget = 120_000
    encoded = write_pdf([coloured, grey_text, a4_page(0)], target, dpi=200, budget=budget)
    assert [page.colour for page in encoded] == [True, False, False]
    assert all(len(page.jpeg) <= budget for page in encoded)
    reader = PdfReader(target)
    assert len(reader.pages) == 3
    spaces = []
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(595.28, abs=0.1)
        resources: Any = page["/Resources"]
        (image,) = resources["/XObject"].values()
        stream = image.get_object()
        assert stream["/Filter"] == "/DCTDecode"
        assert len(stream.get_data()) <= budget
        spaces.append(stream["/ColorSpace"])
    assert spaces == ["/DeviceRGB", "/DeviceGray", "/DeviceGray"]
    assert target.stat().st_size <= 3 * budget + 4_000
    assert not list(tmp_path.glob("*.partial"))


def test_a_tight_budget_lowers_quality_then_resolution() -> None:
    page = a4_page(1)
    roomy = encode_page(page, 200, 400_000)
    tight = encode_page(page, 200, 80_000)
    assert roomy.quality > tight.quality or roomy.dpi > tight.dpi
    assert len(tight.jpeg) <= 80_000


def test_impossible_budgets_and_empty_documents_are_refused(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (2339, 1654, 3), dtype=np.uint8)
    with pytest.raises(PageBudgetError):
        encode_page(noise, 200, 12_000)
    with pytest.raises(PageBudgetError):
        encode_page(a4_page(1), 200, 500)
    with pytest.raises(CaptureError):
        write_pdf([], tmp_path / "empty.pdf", dpi=200)
    assert not (tmp_path / "empty.pdf").exists()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_poppler_renders_every_page(tmp_path: Path) -> None:
    target = tmp_path / "scan.pdf"
    write_pdf([a4_page(1), a4_page(0)], target, dpi=200)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(target), str(tmp_path / "page")], check=True)
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == 2
    first = cv2.imread(str(rendered[0]), cv2.IMREAD_GRAYSCALE)
    assert first is not None
    assert first.shape[0] > first.shape[1]  # portrait
    assert first.min() < 100  # the ink is there

"""A scanning session: blank sheets left out, the last page taken back, one PDF within its budgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from devices.capture import CaptureError, capture_page
from devices.capture.session import ScanSession, SessionFullError
from firmware_sim.capture.scenes import scene


def test_a_session_of_three_sheets_one_blank_gives_a_two_page_pdf(tmp_path: Path) -> None:
    session = ScanSession(dpi=150, page_budget=150_000, max_pages=2)
    kept = [
        session.add(capture_page(scene(seed, size=(720, 1280), blank=blank).image, dpi=150))
        for seed, blank in ((30_400, False), (30_401, True), (30_402, False))
    ]
    assert kept == [True, False, True]
    assert session.blanks_skipped == 1
    with pytest.raises(SessionFullError):
        session.add(capture_page(scene(30_403, size=(720, 1280), blank=False).image, dpi=150))
    last = session.take_back_last()
    assert last is not None
    assert len(session.pages) == 1
    assert session.add(last)
    encoded = session.write(tmp_path / "材料.pdf")
    assert len(PdfReader(tmp_path / "材料.pdf").pages) == 2
    assert all(len(page.jpeg) <= 150_000 for page in encoded)


def test_taking_back_and_an_empty_session() -> None:
    session = ScanSession()
    assert session.take_back_last() is None
    with pytest.raises(CaptureError, match="no pages"):
        session.write(Path("unused.pdf"))

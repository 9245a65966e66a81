"""The certificate's Chinese text survives a PostScript print chain (PDF -> PostScript -> PDF, the way CUPS
feeds a cups-pdf or PostScript queue), in the text layer and on the page; without CUPS, so it runs fast."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import numpy as np
import pytest

from case_service.certificates.render import CertificateView, render_certificate
from hall.pdf_fonts import glyph_name
from tests.case_service.certificates.qr_decode import pdf_to_png
from tests.case_service.certificates.text_layer import (
    ink_share,
    likeness,
    pdf_text,
    region,
    word_box,
)
from tests.fixtures.procs import require_binary

HOLDER = "欧阳娜娜"


def _view() -> CertificateView:
    return CertificateView(
        number="SP-001-2026-00012345",
        certificate_name="食品经营许可证",
        holder=HOLDER,
        holder_id_masked="110***********1234",
        item_name="食品经营许可（新办）",
        scope="热食类食品制售",
        valid_from=dt.date(2026, 11, 21),
        valid_until=dt.date(2031, 11, 20),
        authority="成都市新都区行政审批局",
        issued_on=dt.date(2026, 11, 21),
        qr_text="SP-001-2026-00012345",
    )


def test_glyph_names_follow_the_adobe_glyph_list() -> None:
    assert [glyph_name(code) for code in (0, 0x41, 0x6B27, 0xFF1A, 0x20000)] == [
        ".notdef",
        "uni0041",
        "uni6B27",
        "uniFF1A",
        "u20000",
    ]


def test_chinese_text_survives_pdf_to_postscript_and_back(tmp_path: Path) -> None:
    require_binary("pdftops", "poppler-utils")
    gs = require_binary("gs", "ghostscript")
    view = _view()
    sent = tmp_path / "sent.pdf"
    sent.write_bytes(render_certificate(view, sealed=True))
    # What CUPS does for cups-pdf: poppler's pdftops (the renderer the backend asks for), then
    # cups-pdf's Ghostscript turns the PostScript back into PDF.
    subprocess.run(["pdftops", str(sent), str(tmp_path / "page.ps")], check=True)
    back = tmp_path / "back.pdf"
    options = ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite"]
    subprocess.run([gs, *options, f"-sOutputFile={back}", str(tmp_path / "page.ps")], check=True)

    text = pdf_text(back)
    for expected in (HOLDER, view.certificate_name, f"发证机关：{view.authority}", view.number):
        assert expected in text
    # The name is drawn, where it was, as it was.
    box = word_box(back, HOLDER)
    assert np.allclose(box, word_box(sent, HOLDER), atol=1.0)
    before = region(pdf_to_png(sent.read_bytes(), tmp_path, "before", 100), box, 100)
    after = region(pdf_to_png(back.read_bytes(), tmp_path, "after", 100), box, 100)
    assert ink_share(before) > 0.05
    assert ink_share(after) == pytest.approx(ink_share(before), rel=0.15)
    assert likeness(before, after) > 0.8

"""A rendered certificate, looked at as paper: text, seal, QR scanned by the project's decoder."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pypdf
import pytest
from PIL import Image

from case_service.certificates.render import UNSEALED_NOTE, CertificateView, render_certificate
from hall.signing import CertificateClaims, Ed25519Signer, sign_claims, verify_token
from tests.case_service.certificates.qr_decode import decode_qr_texts, pdf_to_png

SIGNER = Ed25519Signer.generate()


def _view() -> CertificateView:
    claims = CertificateClaims(
        SIGNER.key_id, "SP-001-2026-00012345", "张三丰", "食品经营许可（新办）", dt.date(2026, 11, 21), None
    )
    return CertificateView(
        number=claims.number,
        certificate_name="食品经营许可证",
        holder="张三丰",
        holder_id_masked="110***********1234",
        item_name="食品经营许可（新办）",
        scope="热食类食品制售；冷食类食品制售（不含生食）；自制饮品制售（不含自酿酒）",
        valid_from=dt.date(2026, 11, 21),
        valid_until=dt.date(2031, 11, 20),
        authority="成都市新都区行政审批局",
        issued_on=dt.date(2026, 11, 21),
        qr_text=sign_claims(claims, SIGNER),
        seal_code="5101140012345",
    )


def _red_mask(png: Path) -> np.ndarray:
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return (pixels[:, :, 0] > 150) & (pixels[:, :, 1] < 110) & (pixels[:, :, 2] < 110)


def test_sealed_certificate_reads_right_scans_and_verifies(tmp_path: Path, screenshot_dir: Path) -> None:
    view = _view()
    pdf = render_certificate(view, sealed=True)

    text = re.sub(r"\s+", "", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    for expected in (
        view.certificate_name,
        view.holder,
        view.number,
        view.holder_id_masked,
        "2031年11月20日",
    ):
        assert expected in text
    assert "110101199003071234" not in text

    png = pdf_to_png(pdf, tmp_path, "certificate")
    shutil.copy(png, screenshot_dir / "certificate-sealed.png")
    scanned = decode_qr_texts(png)
    assert scanned == [view.qr_text]
    claims = verify_token(scanned[0], {SIGNER.key_id: SIGNER.public})
    assert (claims.number, claims.holder) == (view.number, view.holder)

    red = _red_mask(png)
    rows, cols = np.nonzero(red)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    seal_px = 42 / 25.4 * 150
    assert abs(width - seal_px) / seal_px < 0.05, "the seal is not 42 mm wide"
    assert abs(height - width) / width < 0.03, "the seal is not round"


def test_unsealed_certificate_has_no_seal_and_says_so(tmp_path: Path) -> None:
    pdf = render_certificate(_view(), sealed=False)

    text = re.sub(r"\s+", "", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert UNSEALED_NOTE in text
    assert not _red_mask(pdf_to_png(pdf, tmp_path, "unsealed", dpi=60)).any()


def test_copy_is_marked_and_still_scans(tmp_path: Path, screenshot_dir: Path) -> None:
    view = _view()
    pdf = render_certificate(view, sealed=True, copy_label="副本 · 第2次打印")

    text = re.sub(r"\s+", "", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "副本·第2次打印" in text
    png = pdf_to_png(pdf, tmp_path, "copy")
    shutil.copy(png, screenshot_dir / "certificate-copy.png")
    assert decode_qr_texts(png) == [view.qr_text]


@pytest.mark.parametrize("holder", ["欧阳娜娜", "买买提·艾力", "A" * 40])
def test_long_and_unusual_names_still_scan(tmp_path: Path, holder: str) -> None:
    claims = CertificateClaims(SIGNER.key_id, "N-1", holder, "某许可", dt.date(2026, 1, 1), None)
    view = CertificateView(
        "N-1",
        "某许可证",
        holder,
        "110***********1234",
        "某许可",
        "范围",
        dt.date(2026, 1, 1),
        None,
        "某某市行政审批局",
        dt.date(2026, 1, 1),
        sign_claims(claims, SIGNER),
    )
    png = pdf_to_png(render_certificate(view, sealed=True), tmp_path, "cert", dpi=100)

    assert decode_qr_texts(png) == [view.qr_text]

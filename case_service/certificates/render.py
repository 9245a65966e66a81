"""A certificate (证照) as an A4 PDF: frame, title, fields, the signed QR code and, once sealed, the seal.

The QR code is drawn as vector squares (crisp at any printer resolution). A copy carries a visible
副本 mark on every page, so a copy can never pass for the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import zxingcpp
from reportlab.lib.units import mm

from case_service.documents.seal import SEAL_RED, SealSpec, draw_seal
from case_service.documents.typeset import PAGE_HEIGHT, PAGE_WIDTH, Margins, PageWriter, chinese_date

QR_SIZE = 38 * mm
UNSEALED_NOTE = "（尚未加盖印章，不作为正式证照使用）"


@dataclass(frozen=True)
class CertificateView:
    number: str
    certificate_name: str
    holder: str
    holder_id_masked: str
    item_name: str
    scope: str
    valid_from: date
    valid_until: date | None
    authority: str
    issued_on: date
    qr_text: str
    seal_code: str = ""
    scope_label: str = "许可范围"


def render_certificate(view: CertificateView, *, sealed: bool, copy_label: str = "") -> bytes:
    writer = PageWriter(view.certificate_name, margins=Margins(top=40 * mm, left=30 * mm, right=30 * mm))
    canvas = writer.canvas
    _frame(writer)
    if copy_label:
        _copy_mark(writer, copy_label)
    writer.right(f"编号：{view.number}", 12, inset=0)
    writer.skip(6 * mm)
    writer.centered(view.certificate_name, 30, after=10 * mm)
    validity = f"{chinese_date(view.valid_from)}至" + (
        chinese_date(view.valid_until) if view.valid_until else "长期"
    )
    rows = [
        ("持 证 人", view.holder),
        ("证件号码", view.holder_id_masked),
        ("许可事项", view.item_name),
        (view.scope_label, view.scope),
        ("有效期限", validity),
    ]
    writer.table(rows, 14, label_width=32 * mm)
    writer.skip(10 * mm)
    _qr(writer, view.qr_text)
    right_x = PAGE_WIDTH - writer.margins.right - 6 * mm
    base_y = writer.margins.bottom + 34 * mm
    if sealed:
        # Under the text: opaque (see case_service.documents.seal), so the lines stay readable on top.
        draw_seal(canvas, right_x - 26 * mm, base_y + 8 * mm, SealSpec(view.authority, code=view.seal_code))
    canvas.setFont(writer.font, 14)
    canvas.drawRightString(right_x, base_y + 10 * mm, f"发证机关：{view.authority}")
    canvas.drawRightString(right_x, base_y, f"发证日期：{chinese_date(view.issued_on)}")
    if not sealed:
        canvas.setFont(writer.font, 11)
        canvas.drawRightString(right_x, base_y - 8 * mm, UNSEALED_NOTE)
    return writer.finish()


def _frame(writer: PageWriter) -> None:
    canvas = writer.canvas
    canvas.saveState()
    canvas.setStrokeColorRGB(0.55, 0.42, 0.18)
    canvas.setLineWidth(2.2)
    canvas.rect(14 * mm, 14 * mm, PAGE_WIDTH - 28 * mm, PAGE_HEIGHT - 28 * mm)
    canvas.setLineWidth(0.7)
    canvas.rect(17 * mm, 17 * mm, PAGE_WIDTH - 34 * mm, PAGE_HEIGHT - 34 * mm)
    canvas.restoreState()


def _copy_mark(writer: PageWriter, label: str) -> None:
    canvas = writer.canvas
    canvas.saveState()
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setFont(writer.font, 12)
    canvas.drawString(writer.margins.left, PAGE_HEIGHT - 28 * mm, label)
    # A pale tint rather than transparency (see case_service.documents.seal).
    canvas.setFillColorRGB(0.97, 0.82, 0.82)
    canvas.setFont(writer.font, 110)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(35)
    canvas.drawCentredString(0, -40, "副 本")
    canvas.restoreState()


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR symbol's modules (True = dark), error correction level M, without the quiet zone.

    zxing-cpp's encoder (C++, already the project's decoder) takes about a millisecond where the
    pure-Python `qrcode` package spends ~150 ms choosing a mask.
    """
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    return [[bool(value < 128) for value in row] for row in modules]


def _qr(writer: PageWriter, text: str) -> None:
    matrix = qr_matrix(text)
    quiet = 4
    cell = QR_SIZE / (len(matrix) + 2 * quiet)
    left = writer.margins.left + quiet * cell
    bottom = writer.margins.bottom + 20 * mm
    top = bottom + QR_SIZE - quiet * cell
    canvas = writer.canvas
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        y = top - (row_index + 1) * cell
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run_start = column
            while column < len(row) and row[column]:
                column += 1
            # One rectangle per run of dark modules, a hair taller so no white seams show between rows.
            path.rect(left + run_start * cell, y, (column - run_start) * cell, cell + 0.05)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.setFont(writer.font, 10)
    canvas.drawCentredString(writer.margins.left + QR_SIZE / 2, bottom - 4 * mm, "扫码核验证照真伪")
    canvas.restoreState()

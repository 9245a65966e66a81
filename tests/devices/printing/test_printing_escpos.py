"""ESC/POS tickets and receipts: Chinese as GB 18030 in Chinese mode, a native QR, a cut."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from devices.printing.escpos_backend import (
    ENTER_CHINESE_MODE,
    ESCPOS_CONTENT_TYPE,
    EscposPrinter,
    Receipt,
    render_receipt,
)
from devices.printing.model import Document, JobPhase, PrinterCondition, PrinterError

RECEIPT = Receipt(
    heading="成都市新都区政务服务中心",
    big="A012",
    lines=("业务：食品经营许可", "前面还有 3 人等候"),
    qr="https://zw.example.gov.cn/t/A012",
    footer="请留意叫号",
)


def test_receipt_bytes_carry_chinese_big_number_qr_and_cut() -> None:
    data = render_receipt(RECEIPT)

    assert data.startswith(b"\x1b@")  # ESC @ initialise
    assert ENTER_CHINESE_MODE in data
    for text in ("成都市新都区政务服务中心", "业务：食品经营许可", "请留意叫号"):
        assert text.encode("gb18030") in data
    assert b"A012" in data
    assert b"\x1d(k" in data and RECEIPT.qr.encode() in data  # GS ( k native QR with its content
    assert b"\x1dV" in data[-10:]  # GS V: cut the paper last


def test_printer_sends_receipts_and_refuses_pdfs() -> None:
    device = Dummy()
    printer = EscposPrinter("ticket-1", device)

    job = printer.submit(Document(render_receipt(RECEIPT), "ticket", ESCPOS_CONTENT_TYPE))

    assert printer.job_status(job).phase is JobPhase.COMPLETED
    assert b"A012" in device.output
    with pytest.raises(PrinterError, match="ESC/POS only"):
        printer.submit(Document(b"%PDF-1.4", "certificate"))


def test_unreadable_link_reports_unknown_but_usable() -> None:
    state = EscposPrinter("ticket-1", Dummy()).state()

    assert state.condition is PrinterCondition.UNKNOWN
    assert state.ready


class _BrokenDevice:
    def _raw(self, data: bytes) -> None:
        raise OSError("USB device disconnected")

    def paper_status(self) -> int:
        return 0


def test_device_error_becomes_a_printer_error_and_empty_paper_blocks() -> None:
    printer = EscposPrinter("ticket-2", _BrokenDevice())

    with pytest.raises(PrinterError, match="disconnected"):
        printer.submit(Document(b"x", "ticket", ESCPOS_CONTENT_TYPE))
    assert printer.state().blocking == ("media-empty",)
